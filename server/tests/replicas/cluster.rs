//! Three replicas of the whole server on one PostgreSQL schema, all naming replica A's URLs as
//! the public issuer and resource (as a reverse proxy in front of them would make them). Requests
//! go to each replica's real address; every protocol value names the public URLs.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use server::config::ServeConfig;
use url::Url;

use crate::common::db::{self, Backend};
use crate::common::{spawn_app_on, LoginForm, Pending, TestApp, PASSWORD, REDIRECT_URI};

/// The stateless MCP revision: every request stands alone, so any replica can answer it.
pub const STATELESS: &str = "2026-07-28";

pub struct Cluster {
    pub replicas: [TestApp; 3],
    /// The public issuer (replica A's AS URL) every replica uses.
    pub issuer: String,
    /// The public MCP resource (replica A's `/mcp`), the audience of every token.
    pub resource: String,
}

impl Cluster {
    /// Three replicas on a fresh schema with `tweak` applied to each, or `None` (printed) when
    /// no PostgreSQL is configured.
    pub async fn start(tweak: impl Fn(&mut ServeConfig)) -> Option<Cluster> {
        let Some(backend) = Backend::postgres() else {
            eprintln!("note: replicas need PostgreSQL (TEST_POSTGRES_URL); skipped");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let url = db::fresh(backend, dir.path()).await;
        let a = spawn_app_on(dir, &url, &tweak).await;
        let (as_public, rs_public): (Url, Url) = (a.as_url.parse().unwrap(), a.rs_url.parse().unwrap());
        let mut others = Vec::new();
        for _ in 0..2 {
            let (as_public, rs_public) = (as_public.clone(), rs_public.clone());
            let app = spawn_app_on(tempfile::tempdir().unwrap(), &url, |c| {
                tweak(c);
                c.as_public_url = Some(as_public);
                c.rs_public_url = Some(rs_public);
            })
            .await;
            others.push(app);
        }
        let c = others.pop().unwrap();
        let b = others.pop().unwrap();
        let (issuer, resource) = (a.settings.issuer.clone(), a.settings.resource.clone());
        for r in [&b, &c] {
            assert_eq!((&r.settings.issuer, &r.settings.resource), (&issuer, &resource), "one public identity");
        }
        Some(Cluster { replicas: [a, b, c], issuer, resource })
    }

    pub fn a(&self) -> &TestApp {
        &self.replicas[0]
    }

    pub fn b(&self) -> &TestApp {
        &self.replicas[1]
    }

    pub fn c(&self) -> &TestApp {
        &self.replicas[2]
    }

    /// Registers (on `on`) a public client that may refresh.
    pub async fn register(&self, on: &TestApp) -> Response {
        let body = json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]});
        on.register(body).await
    }

    pub async fn client(&self, on: &TestApp) -> String {
        let resp = self.register(on).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        field(&resp.json().await.unwrap(), "client_id")
    }

    /// The authorization request URL on replica `on`, naming the public resource.
    pub fn authorize_url(&self, on: &TestApp, client_id: &str, verifier: &str) -> String {
        let mut url = Url::parse(&format!("{}/authorize", on.as_url)).unwrap();
        url.query_pairs_mut().extend_pairs([
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "user"),
            ("state", "st4te"),
            ("code_challenge", &shared::pkce::challenge_s256(verifier)),
            ("code_challenge_method", "S256"),
            ("resource", &self.resource),
        ]);
        url.into()
    }

    /// `/authorize` on `on`, expecting the login page.
    pub async fn open_login(&self, on: &TestApp, client_id: &str) -> (LoginForm, Pending) {
        let verifier = crate::common::new_verifier();
        let form = on.open_login(&self.authorize_url(on, client_id, &verifier)).await;
        (form, Pending { client_id: client_id.into(), verifier, state: "st4te".into() })
    }

    /// The code in a redirect back to the client, checking `state` and that `iss` is the public
    /// issuer whichever replica answered.
    pub fn code_from(&self, resp: &Response) -> String {
        assert_eq!(resp.status(), StatusCode::FOUND);
        let location = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
        let get = |k: &str| location.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        assert_eq!(get("state").as_deref(), Some("st4te"));
        assert_eq!(get("iss").as_deref(), Some(self.issuer.as_str()));
        get("code").expect("code in redirect")
    }

    /// The whole flow for `username` on `on` alone; returns the token response.
    pub async fn tokens(&self, on: &TestApp, client_id: &str, username: &str) -> Value {
        let (form, pending) = self.open_login(on, client_id).await;
        let resp = on.login(&form, username, PASSWORD).await;
        let resp = if resp.status() == StatusCode::FOUND { resp } else { on.decide(&form, "allow").await };
        let code = self.code_from(&resp);
        let resp = self.exchange(on, &code, &pending).await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }

    /// The token request for `code` on `on`, naming the public resource.
    pub async fn exchange(&self, on: &TestApp, code: &str, p: &Pending) -> Response {
        on.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &p.client_id),
            ("code_verifier", &p.verifier),
            ("resource", &self.resource),
        ])
        .await
    }

    pub async fn refresh(&self, on: &TestApp, refresh_token: &str, client_id: &str) -> Response {
        on.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", client_id)]).await
    }
}

/// A stateless (2026-07-28) `tools/call` of `get_user_data` on `on`'s real `/mcp`.
pub async fn stateless_tool_call(on: &TestApp, token: &str) -> Response {
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
    "name": "get_user_data", "arguments": {"user_id": "current"},
    "_meta": {
        "io.modelcontextprotocol/protocolVersion": STATELESS,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "it", "version": "0"},
    }}});
    on.http
        .post(&on.mcp_url)
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header("MCP-Protocol-Version", STATELESS)
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "get_user_data")
        .body(call.to_string())
        .send()
        .await
        .unwrap()
}

/// Asserts that `token` gets `user_id`'s own data from `on`.
pub async fn tool_call_works(on: &TestApp, token: &str, user_id: &str) {
    let resp = stateless_tool_call(on, token).await;
    assert_eq!(resp.status(), StatusCode::OK, "tools/call on {}", on.mcp_url);
    let text = resp.text().await.unwrap();
    assert!(text.contains(user_id), "the caller's own data from {}: {text}", on.mcp_url);
}

pub fn field(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned()
}
