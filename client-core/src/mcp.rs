//! MCP over streamable HTTP with a bearer token: `initialize` (+ `notifications/initialized`,
//! keeping `Mcp-Session-Id` when the server gives one — 2025-06-18 sessions — and working
//! without one — 2026-07-28 stateless), then tools, resources and prompts. Replies may be JSON
//! or `text/event-stream`. A 401 becomes [`CoreError::Unauthorized`], a 403 `insufficient_scope`
//! [`CoreError::InsufficientScope`]; a 404 for a known session re-initializes once. Renewing
//! the token and stepping up are [`crate::keeper::TokenKeeper`]'s job.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;
#[cfg(feature = "stateless")]
use shared::mcp::messages_from_body;
use shared::mcp::{PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, SESSION_HEADER};

use crate::elicit::ElicitationHandler;
use crate::error::CoreError;
use crate::http::{HttpClient, HttpRequest, HttpResponse, Method};
use crate::wire::JSON;

mod drive;
mod reply;
mod results;
mod whole;
mod write;
use reply::{is_event_stream, not_resumed, unreachable, Read, Resume, EVENT_STREAM};
use results::{failure, insufficient_scope, item, items, json_rpc_error, tool_output};
pub use results::{pretty, pretty_value};
pub use write::text_of;
use write::{message_text, params};

pub const CLIENT_NAME: &str = "mcp-auth-client";
pub const CLIENT_VERSION: &str = "0.1.0";
const ACCEPT: &str = "application/json, text/event-stream";
const WHAT: &str = "the MCP server";
#[cfg(feature = "stateless")]
use crate::stateless::with_standard_headers;
pub use crate::stateless::STATELESS_VERSIONS;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    pub protocol_version: String,
    pub name: String,
    pub version: String,
    pub session_id: Option<String>,
    /// The server's `capabilities` object (`tools`, `resources`, `prompts`, ...), as sent.
    pub capabilities: Value,
}

/// A named item of a list (tool, resource, prompt) with its description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The tool or prompt name, or the resource URI.
    pub name: String,
    /// The description, or the resource's name.
    pub description: String,
}

struct Connection {
    url: String,
    token: String,
    session_id: Option<String>,
    protocol_version: Option<String>,
    next_id: u64,
    /// 2026-07-28 stateless lifecycle: no `initialize`; this version in every request's header
    /// and `params._meta`. (This, `next_version` and `header_params` exist only with the
    /// feature: no drop code for them in the SPA.)
    #[cfg(feature = "stateless")]
    stateless: Option<String>,
    /// The `WWW-Authenticate` of the last 401, for a caller that logs in on demand.
    last_challenge: Option<String>,
    /// A version the server offered after refusing ours (-32022).
    #[cfg(feature = "stateless")]
    next_version: Option<String>,
    /// From the last `tools/list` (stateless lifecycle): which parameters of which tool are mirrored into headers (a
    /// BTreeMap: the SPA then needs no SipHash/hashbrown code for this one map).
    #[cfg(feature = "stateless")]
    header_params: std::collections::BTreeMap<String, Vec<(String, String)>>,
    /// Answers the server's `elicitation/create`; with one, the client declares elicitation.
    /// (This and the standing stream exist only with the feature: no drop code for them in the
    /// SPA.)
    #[cfg(feature = "elicitation")]
    elicitation: Option<ElicitationHandler>,
    /// The session's standing GET stream, on which the server sends its own requests.
    #[cfg(feature = "elicitation")]
    listener: Option<crate::sse::EventStream>,
}

/// One MCP connection. Cheap to clone (shared state, single thread).
pub struct McpClient<H> {
    http: Rc<H>,
    conn: Rc<RefCell<Connection>>,
}

impl<H> Clone for McpClient<H> {
    fn clone(&self) -> Self {
        Self { http: self.http.clone(), conn: self.conn.clone() }
    }
}

impl<H: HttpClient> McpClient<H> {
    pub fn new(http: Rc<H>, url: &str, token: &str) -> Self {
        let conn = Connection {
            url: url.to_owned(),
            token: token.to_owned(),
            session_id: None,
            protocol_version: None,
            next_id: 1,
            #[cfg(feature = "stateless")]
            stateless: None,
            last_challenge: None,
            #[cfg(feature = "stateless")]
            next_version: None,
            #[cfg(feature = "stateless")]
            header_params: std::collections::BTreeMap::new(),
            #[cfg(feature = "elicitation")]
            elicitation: None,
            #[cfg(feature = "elicitation")]
            listener: None,
        };
        Self { http, conn: Rc::new(RefCell::new(conn)) }
    }

    #[must_use]
    pub fn url(&self) -> String {
        self.conn.borrow().url.clone()
    }

    /// The 2026-07-28 stateless lifecycle at protocol `version`: no `initialize` handshake; each
    /// request carries the `MCP-Protocol-Version` header and the `_meta` protocol version and
    /// client capabilities.
    #[cfg(feature = "stateless")]
    #[must_use]
    pub fn stateless(self, version: &str) -> Self {
        {
            let mut conn = self.conn.borrow_mut();
            conn.stateless = Some(version.to_owned());
            conn.protocol_version = Some(version.to_owned());
        }
        self
    }

    /// Declares the elicitation capability (form mode) and answers the server's
    /// `elicitation/create` requests, and SEP-2322 input requests, with `handler`.
    #[cfg(feature = "elicitation")]
    #[must_use]
    pub fn with_elicitation(self, handler: ElicitationHandler) -> Self {
        self.conn.borrow_mut().elicitation = Some(handler);
        self
    }

    /// The client capabilities this client declares, as JSON text.
    fn capabilities_text(&self) -> &'static str {
        if self.handler().is_some() {
            r#"{"elicitation":{"form":{}}}"#
        } else {
            "{}"
        }
    }

    /// The `WWW-Authenticate` value of the last 401 (see [`crate::discovery::challenge_from`]).
    #[must_use]
    pub fn last_challenge(&self) -> Option<String> {
        self.conn.borrow().last_challenge.clone()
    }

    /// Uses `token` from the next request on (after a refresh); the MCP session is kept.
    pub fn set_token(&self, token: &str) {
        token.clone_into(&mut self.conn.borrow_mut().token);
    }

    fn request(&self, method: Method, body: Option<String>) -> (HttpRequest, bool) {
        let conn = self.conn.borrow();
        let mut req = match body {
            Some(b) => HttpRequest::post(&conn.url, JSON, b).header("accept", ACCEPT),
            None => HttpRequest { method, ..HttpRequest::get(&conn.url) },
        };
        // No token yet: the request goes without one (a 401 then says how to log in).
        if !conn.token.is_empty() {
            req = req.header("authorization", &format!("Bearer {}", conn.token));
        }
        if let Some(id) = &conn.session_id {
            req = req.header(SESSION_HEADER, id);
        }
        if let Some(v) = &conn.protocol_version {
            req = req.header(PROTOCOL_VERSION_HEADER, v);
        }
        (req, conn.session_id.is_some())
    }

    /// The error for a POST answered with a non-2xx status.
    fn refused(&self, method: &str, url: &str, had_session: bool, res: &HttpResponse) -> CoreError {
        if res.status == 400 {
            self.note_supported_versions(res);
        }
        match res.status {
            401 => {
                self.conn.borrow_mut().last_challenge = res.header("www-authenticate").map(str::to_owned);
                CoreError::Unauthorized
            }
            403 => insufficient_scope(method, res).unwrap_or_else(|| failure(url, method, res)),
            404 if had_session => CoreError::SessionGone,
            _ => failure(url, method, res),
        }
    }

    /// Remembers a version to switch to from a -32022 error's `data.supported`.
    #[cfg_attr(not(feature = "stateless"), allow(clippy::unused_self, unused_variables))]
    fn note_supported_versions(&self, res: &HttpResponse) {
        #[cfg(feature = "stateless")]
        if self.is_stateless() {
            let messages = messages_from_body(res.content_type(), &res.text());
            self.conn.borrow_mut().next_version =
                messages.iter().find_map(|m| m.get("error")).and_then(crate::stateless::version_to_retry);
        }
    }

    #[cfg_attr(not(feature = "stateless"), allow(clippy::unused_self))]
    fn switch_version(&self) -> bool {
        #[cfg(feature = "stateless")]
        {
            let mut conn = self.conn.borrow_mut();
            let Some(next) = conn.next_version.take() else { return false };
            conn.stateless = Some(next.clone());
            conn.protocol_version = Some(next);
            true
        }
        #[cfg(not(feature = "stateless"))]
        false
    }

    /// Sends one message and reads its reply: a request's `result`, or `Null` once a
    /// notification is acknowledged (after `notifications/initialized`, the standing stream is
    /// opened). A reply to `initialize` sets the session id it carries.
    async fn exchange(&self, method: &str, params: Option<&Value>) -> Result<Value, CoreError> {
        // One await each for sending and for reading a whole body, whatever the message and the
        // reply: each future is laid out once.
        let id = params.is_some().then(|| {
            let mut conn = self.conn.borrow_mut();
            conn.next_id += 1;
            conn.next_id
        });
        let with_meta;
        let params = match params {
            Some(p) if self.is_stateless() => {
                with_meta = self.with_meta(p.clone());
                Some(&with_meta)
            }
            other => other,
        };
        let (mut req, had_session) = self.request(Method::Post, Some(message_text(id, method, params)));
        #[cfg(feature = "stateless")]
        if self.is_stateless() {
            req = with_standard_headers(req, method, params, &self.conn.borrow().header_params);
        }
        // The POST, then any resumption of its reply stream (a GET), go through one `open`.
        // Errors name the URL from the connection (it is the request's): no copy of it lives
        // across the awaits.
        let (mut session_id, mut resuming) = (None, None::<Resume>);
        let mut message = loop {
            let verb = if resuming.is_some() { "GET" } else { "POST" };
            let res = self.http.open(req).await.map_err(|cause| unreachable(verb, &self.url(), cause))?;
            let (ok, status) = ((200..300).contains(&res.status), res.status);
            if resuming.is_none() && method == "initialize" {
                session_id = res.header(SESSION_HEADER).map(str::to_owned);
            }
            match id {
                Some(id) if ok && is_event_stream(&res) => {
                    match self.stream_reply(id, method, res, resuming.as_ref()).await? {
                        Read::Reply(message) => break message,
                        Read::Cut(next) => {
                            self.http.sleep(next.delay_ms()).await;
                            let (get, _) = self.request(Method::Get, None);
                            req = get.header("accept", EVENT_STREAM).header("last-event-id", &next.last_id);
                            resuming = Some(next);
                        }
                    }
                }
                _ => {
                    let res = res.collect().await;
                    if resuming.is_some() {
                        return Err(not_resumed(self.url(), status, res));
                    }
                    let res = res.map_err(|cause| unreachable("POST", &self.url(), cause))?;
                    if !ok {
                        return Err(self.refused(method, &self.url(), had_session, &res));
                    }
                    let Some(id) = id else {
                        #[cfg(feature = "elicitation")]
                        self.listen().await;
                        return Ok(Value::Null);
                    };
                    break self.whole_reply(id, method, &res)?;
                }
            }
        };
        if let Some(err) = message.get("error") {
            return Err(json_rpc_error(method, err));
        }
        if method == "initialize" {
            let mut conn = self.conn.borrow_mut();
            conn.session_id = session_id;
            conn.protocol_version =
                Some(message["result"]["protocolVersion"].as_str().unwrap_or(PROTOCOL_VERSION).into());
        }
        Ok(message.get_mut("result").map(Value::take).unwrap_or_default())
    }

    /// In the stateless lifecycle, adds the per-request `_meta` (SEP-2575).
    fn with_meta(&self, params: Value) -> Value {
        if !self.is_stateless() {
            return params;
        }
        #[cfg(feature = "stateless")]
        {
            let capabilities = serde_json::from_str(self.capabilities_text()).unwrap_or_default();
            let version = self.conn.borrow().stateless.clone().unwrap_or_default();
            crate::stateless::with_meta(params, &version, &capabilities)
        }
        #[cfg(not(feature = "stateless"))]
        params
    }

    /// The elicitation handler. Always `None` without the `elicitation` feature (the SPA, which
    /// never answers elicitations): the standing stream's code is then left out.
    fn handler(&self) -> Option<ElicitationHandler> {
        #[cfg(feature = "elicitation")]
        return self.conn.borrow().elicitation.clone();
        #[cfg(not(feature = "elicitation"))]
        None
    }

    /// Whether this client uses the stateless lifecycle. Always false without the `stateless`
    /// feature (the SPA, which never uses it): the compiler then leaves that code out.
    fn is_stateless(&self) -> bool {
        #[cfg(feature = "stateless")]
        return self.conn.borrow().stateless.is_some();
        #[cfg(not(feature = "stateless"))]
        false
    }

    /// Starts a fresh MCP session: `initialize`, then `notifications/initialized`.
    pub async fn initialize(&self) -> Result<ServerInfo, CoreError> {
        let result = self.call("initialize", Value::Null).await?;
        let conn = self.conn.borrow();
        Ok(ServerInfo {
            protocol_version: conn.protocol_version.clone().unwrap_or_default(),
            name: result["serverInfo"]["name"].as_str().unwrap_or("(unnamed)").to_owned(),
            version: result["serverInfo"]["version"].as_str().unwrap_or("").to_owned(),
            session_id: conn.session_id.clone(),
            capabilities: result.get("capabilities").cloned().unwrap_or(Value::Null),
        })
    }

    /// The MCP server's answer is not usable, for `reason`.
    fn invalid(&self, reason: String) -> CoreError {
        CoreError::Invalid { what: WHAT.into(), url: self.url(), reason }
    }

    pub async fn list_tools(&self) -> Result<Vec<Item>, CoreError> {
        let result = self.call("tools/list", params(&mut [])).await?;
        Ok(items(&result, "tools").map(|t| item(t, "name", "description")).collect())
    }

    /// `tools/call`; returns the result as text (structured content preferred, pretty JSON).
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<String, CoreError> {
        let result = self.call("tools/call", params(&mut [("name", name.into()), ("arguments", arguments)])).await?;
        tool_output(name, &result)
    }

    pub async fn list_resources(&self) -> Result<Vec<Item>, CoreError> {
        let result = self.call("resources/list", params(&mut [])).await?;
        Ok(items(&result, "resources").map(|r| item(r, "uri", "name")).collect())
    }

    /// `resources/read`; returns the text of the first content, pretty-printed when JSON.
    pub async fn read_resource(&self, uri: &str) -> Result<String, CoreError> {
        let result = self.call("resources/read", params(&mut [("uri", uri.into())])).await?;
        result["contents"][0]["text"]
            .as_str()
            .map(pretty)
            .ok_or_else(|| self.invalid(format!("resources/read {uri} returned no text content")))
    }

    pub async fn list_prompts(&self) -> Result<Vec<Item>, CoreError> {
        let result = self.call("prompts/list", params(&mut [])).await?;
        Ok(items(&result, "prompts").map(|p| item(p, "name", "description")).collect())
    }

    /// `prompts/get`; returns the result (its `messages`) as pretty JSON.
    pub async fn get_prompt(&self, name: &str, arguments: Value) -> Result<String, CoreError> {
        let result = self.call("prompts/get", params(&mut [("name", name.into()), ("arguments", arguments)])).await?;
        Ok(pretty_value(&result))
    }

    /// Ends the MCP session with `DELETE` (best effort).
    pub async fn close(&self) {
        let (req, had_session) = self.request(Method::Delete, None);
        if had_session {
            let _ = self.http.send(req).await;
        }
        let mut conn = self.conn.borrow_mut();
        conn.session_id = None;
        conn.protocol_version = None;
        #[cfg(feature = "elicitation")]
        {
            conn.listener = None;
        }
    }
}
