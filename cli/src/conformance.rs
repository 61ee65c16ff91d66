//! `mcp-auth conformance <url>`: the client the official MCP conformance suite drives
//! (`conformance client --command "mcp-auth conformance"`). The suite passes the scenario's MCP
//! URL as the last argument and, in the environment, `MCP_CONFORMANCE_SCENARIO`,
//! `MCP_CONFORMANCE_PROTOCOL_VERSION` (2025-x: `initialize` handshake; 2026-07-28: stateless)
//! and, for some scenarios, `MCP_CONFORMANCE_CONTEXT` (JSON, e.g. pre-registered credentials).
//!
//! It is the same core as `login` + `call`, with two differences: no browser (the suite's
//! authorization server redirects at once, so the authorization URL is fetched without
//! following the redirect and its `Location` is the callback), and authorization on demand: the
//! MCP requests go first without a token, and a 401 on any of them starts the login from that
//! challenge (some scenario servers let `initialize` through and refuse only `tools/list`).
//! Nothing is stored on disk.

use std::rc::Rc;

use client_core::authorize::CallbackParams;
use client_core::discovery::{challenge_from, parse_mcp_url};
use client_core::http::{HttpClient, HttpRequest};
use client_core::identity::NoStore;
use client_core::keeper::{Change, KeeperHooks};
use client_core::{
    flow, ClientConfig, CoreError, McpClient, PendingAuthorization, PreRegistered, Session, TokenKeeper,
};
use serde_json::{json, Value};

use crate::error::CliError;
use crate::session::{self, Http, TraceSteps};

/// The Client ID Metadata Document URL the suite's CIMD scenario expects as client_id.
const CIMD_URL: &str = "https://conformance-test.local/client-metadata.json";
/// Never contacted: the callback is read from the authorization server's redirect.
const REDIRECT_URI: &str = "http://127.0.0.1:3000/callback";
/// Logins per run (the first, then step-ups): the suite's retry-limit scenario allows 3.
const MAX_LOGINS: u32 = 3;

struct Driver {
    http: Rc<Http>,
    url: String,
    config: ClientConfig,
    trace: bool,
    logins: std::cell::Cell<u32>,
}

struct NoHooks;

impl KeeperHooks for NoHooks {
    fn now_ms(&self) -> i64 {
        session::now_ms()
    }
    fn changed(&self, _: Change<'_>) {}
}

pub async fn run(url: &str, trace: bool) -> Result<(), CliError> {
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    let version = std::env::var("MCP_CONFORMANCE_PROTOCOL_VERSION").unwrap_or_default();
    let context: Value = std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or(Value::Null);
    let pre_registered = context["client_id"].as_str().map(|id| PreRegistered {
        client_id: id.to_owned(),
        client_secret: context["client_secret"].as_str().map(str::to_owned),
        token_endpoint_auth_method: None,
    });
    let config = ClientConfig {
        client_name: "mcp-auth conformance client".into(),
        redirect_uri: REDIRECT_URI.into(),
        application_type: Some("native".into()),
        pre_registered,
        metadata_document_url: Some(CIMD_URL.into()),
    };
    let mcp_url = parse_mcp_url(url)?.to_string();
    let driver =
        Driver { http: Rc::new(Http::new(trace)?), url: mcp_url, config, trace, logins: std::cell::Cell::new(0) };
    let stateless = is_stateless(&version);
    let mut mcp = McpClient::new(driver.http.clone(), &driver.url, "");
    if stateless {
        mcp = mcp.stateless(&version);
    }
    // No one to ask: elicitations (and SEP-2322 input requests) are accepted with the schema's
    // defaults. The authorization scenarios' servers ask for nothing.
    if !scenario.starts_with("auth/") {
        mcp = mcp.with_elicitation(Rc::new(client_core::elicit::accept_defaults));
    }
    let mut keeper: Option<TokenKeeper<Http>> = None;

    if !stateless {
        driver.op(&mcp, &mut keeper, |c| async move { c.initialize().await.map(|_| Value::Null) }).await?;
    }
    let tools = driver.op(&mcp, &mut keeper, |c| async move { c.call("tools/list", json!({})).await }).await?;
    if scenario == "request-metadata" {
        return Ok(());
    }
    // The calls the scenario asks for in its context, else one: the auth scenarios' servers have
    // `test-tool`, the basic ones take the first tool listed; the SEP-2322 scenario checks one
    // multi-round-trip case per tool, so every tool is called there.
    let calls: Vec<Value> = match context["toolCalls"].as_array() {
        Some(calls) => calls.clone(),
        None if scenario == "sep-2322-client-request-state" => tools["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| json!({ "name": t["name"], "arguments": {} }))
            .collect(),
        None => {
            let name = tools["tools"][0]["name"].as_str().unwrap_or("test-tool").to_owned();
            let arguments = if scenario.starts_with("auth/") { json!({}) } else { json!({"a": 2, "b": 3}) };
            vec![json!({ "name": name, "arguments": arguments })]
        }
    };
    for params in calls {
        driver
            .op(&mcp, &mut keeper, |c| {
                let params = params.clone();
                async move { c.call("tools/call", params).await }
            })
            .await?;
    }
    if !stateless {
        mcp.close().await;
    }
    Ok(())
}

/// Protocol versions with the stateless lifecycle (SEP-2575): 2026-07-28 and later.
fn is_stateless(version: &str) -> bool {
    version >= "2026-07-28"
}

impl Driver {
    /// Runs one MCP operation: with the session's token (refreshed, stepped up on 403
    /// `insufficient_scope`), and on a 401 without a usable session, logs in from that 401's
    /// challenge and runs it again.
    async fn op<F, Fut>(
        &self,
        mcp: &McpClient<Http>,
        keeper: &mut Option<TokenKeeper<Http>>,
        op: F,
    ) -> Result<Value, CliError>
    where
        F: Fn(McpClient<Http>) -> Fut,
        Fut: std::future::Future<Output = Result<Value, CoreError>>,
    {
        loop {
            let result = match keeper.as_ref() {
                None => op(mcp.clone()).await,
                Some(k) => {
                    let k2 = k.clone();
                    k.with_step_up(mcp, &op, |union| {
                        let session = k2.session();
                        async move { self.step_up(&session, &union.to_string()).await }
                    })
                    .await
                }
            };
            match result {
                Err(CoreError::Unauthorized) if self.logins.get() < MAX_LOGINS => {
                    let challenge = challenge_from(&parse_mcp_url(&self.url)?, mcp.last_challenge().as_deref())?;
                    let session = self.login(challenge).await?;
                    mcp.set_token(&session.access_token);
                    *keeper = Some(TokenKeeper::new(self.http.clone(), session, NoHooks));
                }
                other => return other.map_err(CliError::from),
            }
        }
    }

    async fn login(&self, challenge: client_core::discovery::Challenge) -> Result<Session, CliError> {
        self.logins.set(self.logins.get() + 1);
        let observer = TraceSteps(self.trace);
        let mut random = session::random;
        let ctx =
            flow::LoginContext { client: &self.config, store: &NoStore, random: &mut random, observer: &observer };
        let pending = flow::begin_login_with_challenge(&*self.http, &self.url, challenge, ctx).await?;
        Ok(self.finish(&pending).await?)
    }

    async fn step_up(&self, session: &Session, union: &str) -> Result<Session, CoreError> {
        if self.logins.get() >= MAX_LOGINS {
            return Err(CoreError::message(format!("gave up after {MAX_LOGINS} authorizations")));
        }
        self.logins.set(self.logins.get() + 1);
        let observer = TraceSteps(self.trace);
        let mut random = session::random;
        let ctx =
            flow::LoginContext { client: &self.config, store: &NoStore, random: &mut random, observer: &observer };
        let pending = flow::begin_step_up(&*self.http, session, "tools/call", union, 0, ctx).await?;
        self.finish(&pending).await
    }

    /// The browser's part, headless: the suite's authorization server answers the
    /// authorization request with a redirect whose query is the authorization response.
    async fn finish(&self, pending: &PendingAuthorization) -> Result<Session, CoreError> {
        let res = self.http.send(HttpRequest::get(&pending.authorization_url)).await.map_err(|cause| {
            CoreError::Unreachable {
                what: "the authorization endpoint".into(),
                method: "GET".into(),
                url: pending.authorization_url.clone(),
                cause,
            }
        })?;
        let location = res.header("location").ok_or_else(|| {
            CoreError::message(format!("the authorization endpoint answered {} without a redirect", res.status))
        })?;
        let query = url::Url::parse(location).map(|u| u.query().unwrap_or_default().to_owned()).unwrap_or_default();
        let params = CallbackParams::from_query(&query);
        let observer = TraceSteps(self.trace);
        flow::complete_login(&*self.http, &params, pending, session::now_ms(), &NoStore, &observer).await
    }
}
