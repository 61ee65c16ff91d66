//! MCP over streamable HTTP from the browser: the unauthenticated probe that starts discovery,
//! and [`McpClient`], which sends JSON-RPC with `Authorization: Bearer`, keeps the
//! `Mcp-Session-Id` and negotiated `MCP-Protocol-Version` in memory and sends them on every later
//! request. Replies may be JSON or `text/event-stream`; both go through
//! `shared::mcp::messages_from_body`. A 401 becomes [`ClientError::Unauthorized`], a 403
//! `insufficient_scope` challenge [`ClientError::InsufficientScope`] (step-up); a 404 for a
//! known session re-initializes once and retries. The bearer token can be swapped for a renewed
//! one ([`McpClient::set_token`]) without ending the MCP session, which the server binds to the
//! user rather than to one token; deciding when to renew is `flow::refresh`'s job. The token is
//! never logged or displayed here.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::{Request, RequestBuilder};
use serde_json::{json, Value};
use shared::challenge::BearerChallenge;
use shared::mcp::{messages_from_body, JsonRpcRequest, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, SESSION_HEADER};

use super::{excerpt, send, Outgoing, Reply};
use crate::error::ClientError;

pub const CLIENT_NAME: &str = "mcp-auth-spa";
pub const CLIENT_VERSION: &str = "0.1.0";
const ACCEPT: &str = "application/json, text/event-stream";
const TARGET: &str = "the MCP server";

fn initialize_params() -> Value {
    json!({
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": { "name": CLIENT_NAME, "version": CLIENT_VERSION },
    })
}

fn encode(message: &JsonRpcRequest) -> Result<String, ClientError> {
    serde_json::to_string(message)
        .map_err(|e| ClientError::message(format!("Could not encode the {} request ({e}).", message.method)))
}

/// The answer to a request sent without a token.
pub struct Probe {
    pub status: u16,
    pub status_line: String,
    pub www_authenticate: Option<String>,
}

/// `POST <mcp>` with an `initialize` body and no `Authorization`, to learn where to log in.
pub async fn probe(url: &str) -> Result<Probe, ClientError> {
    let out = Outgoing { target: TARGET, method: "POST", url };
    let body = encode(&JsonRpcRequest::call(0, "initialize", initialize_params()))?;
    let builder = Request::post(url).header("Content-Type", "application/json").header("Accept", ACCEPT);
    let reply = send(&out, builder, Some(body)).await?;
    Ok(Probe { status: reply.status, status_line: reply.status_line(), www_authenticate: reply.www_authenticate })
}

/// What `initialize` told us about the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    pub protocol_version: String,
    pub name: String,
    pub version: String,
    pub session_id: Option<String>,
    /// The server's `capabilities` object: the console lists only what is declared there.
    pub capabilities: Value,
}

struct Connection {
    url: String,
    token: String,
    session_id: Option<String>,
    protocol_version: Option<String>,
    next_id: u64,
}

/// One MCP connection for one user's access token. Cheap to clone (shared state, single thread).
#[derive(Clone)]
pub struct McpClient(Rc<RefCell<Connection>>);

impl McpClient {
    #[must_use]
    pub fn new(url: &str, token: &str) -> Self {
        Self(Rc::new(RefCell::new(Connection {
            url: url.to_owned(),
            token: token.to_owned(),
            session_id: None,
            protocol_version: None,
            next_id: 1,
        })))
    }

    #[must_use]
    pub fn url(&self) -> String {
        self.0.borrow().url.clone()
    }

    /// Uses `token` from the next request on (after a refresh); the MCP session is kept.
    pub fn set_token(&self, token: &str) {
        let mut conn = self.0.borrow_mut();
        if conn.token != token {
            token.clone_into(&mut conn.token);
        }
    }

    /// A builder with the bearer token and, once known, the session and protocol headers.
    /// Returns whether a session id was attached (a 404 only means "session gone" then).
    fn builder(&self, method: &str) -> (RequestBuilder, bool) {
        let conn = self.0.borrow();
        let mut b = match method {
            "DELETE" => Request::delete(&conn.url),
            _ => Request::post(&conn.url).header("Content-Type", "application/json").header("Accept", ACCEPT),
        }
        .header("Authorization", &format!("Bearer {}", conn.token));
        if let Some(id) = &conn.session_id {
            b = b.header(SESSION_HEADER, id);
        }
        if let Some(v) = &conn.protocol_version {
            b = b.header(PROTOCOL_VERSION_HEADER, v);
        }
        (b, conn.session_id.is_some())
    }

    async fn post(&self, message: &JsonRpcRequest) -> Result<Reply, ClientError> {
        let url = self.url();
        let out = Outgoing { target: TARGET, method: "POST", url: &url };
        let (builder, had_session) = self.builder("POST");
        let reply = send(&out, builder, Some(encode(message)?)).await?;
        if reply.is_success() {
            return Ok(reply);
        }
        Err(match reply.status {
            401 => ClientError::Unauthorized,
            403 => {
                insufficient_scope(&message.method, &reply).unwrap_or_else(|| failure(&out, &message.method, &reply))
            }
            404 if had_session => ClientError::SessionGone,
            _ => failure(&out, &message.method, &reply),
        })
    }

    /// Sends one request and returns its `result`, without the 404 retry.
    async fn call_once(&self, method: &str, params: Value) -> Result<(Value, Reply), ClientError> {
        let id = {
            let mut conn = self.0.borrow_mut();
            conn.next_id += 1;
            conn.next_id
        };
        let reply = self.post(&JsonRpcRequest::call(id, method, params)).await?;
        let messages = messages_from_body(&reply.content_type, &reply.body);
        let Some(message) = messages.into_iter().find(|m| m.get("id") == Some(&Value::from(id))) else {
            return Err(ClientError::Invalid {
                target: TARGET,
                url: self.url(),
                reason: format!(
                    "the reply to {method} has no JSON-RPC response with id {id} ({})",
                    excerpt(&reply.body)
                ),
            });
        };
        if let Some(err) = message.get("error") {
            return Err(json_rpc_error(method, err));
        }
        let result = message.get("result").cloned().unwrap_or(Value::Null);
        Ok((result, reply))
    }

    /// Starts a fresh MCP session: `initialize`, then the `notifications/initialized` notification.
    pub async fn initialize(&self) -> Result<ServerInfo, ClientError> {
        {
            let mut conn = self.0.borrow_mut();
            conn.session_id = None;
            conn.protocol_version = None;
        }
        let (result, reply) = self.call_once("initialize", initialize_params()).await?;
        let protocol_version = result["protocolVersion"].as_str().unwrap_or(PROTOCOL_VERSION).to_owned();
        {
            let mut conn = self.0.borrow_mut();
            conn.session_id = reply.session_id.clone();
            conn.protocol_version = Some(protocol_version.clone());
        }
        self.post(&JsonRpcRequest::notification("notifications/initialized")).await?;
        Ok(ServerInfo {
            protocol_version,
            name: result["serverInfo"]["name"].as_str().unwrap_or("(unnamed)").to_owned(),
            version: result["serverInfo"]["version"].as_str().unwrap_or("").to_owned(),
            session_id: reply.session_id,
            capabilities: result.get("capabilities").cloned().unwrap_or(Value::Null),
        })
    }

    /// Sends a request; if the server forgot our session (404), re-initializes once and retries.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        match self.call_once(method, params.clone()).await {
            Err(ClientError::SessionGone) => {
                self.initialize().await?;
                self.call_once(method, params).await.map(|(result, _)| result)
            }
            other => other.map(|(result, _)| result),
        }
    }

    /// `resources/read`; returns the text of the first content, pretty-printed when it is JSON.
    pub async fn read_resource(&self, uri: &str) -> Result<String, ClientError> {
        let result = self.request("resources/read", json!({ "uri": uri })).await?;
        result["contents"][0]["text"].as_str().map(pretty).ok_or_else(|| ClientError::Invalid {
            target: TARGET,
            url: self.url(),
            reason: format!("resources/read {uri} returned no text content"),
        })
    }

    /// Ends the MCP session with `DELETE` (best effort: logout goes on whatever happens).
    pub async fn close(&self) {
        let (builder, had_session) = self.builder("DELETE");
        if had_session {
            let url = self.url();
            let out = Outgoing { target: TARGET, method: "DELETE", url: &url };
            let _ = send(&out, builder, None).await;
        }
        let mut conn = self.0.borrow_mut();
        conn.session_id = None;
        conn.protocol_version = None;
    }
}

fn items<'a>(result: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    result.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn json_rpc_error(method: &str, err: &Value) -> ClientError {
    ClientError::JsonRpc {
        method: method.to_owned(),
        code: err["code"].as_i64().unwrap_or_default(),
        message: err["message"].as_str().unwrap_or("(no message)").to_owned(),
    }
}

/// A 403 whose Bearer challenge says `insufficient_scope` and names the scopes needed (MCP
/// authorization, step-up); `None` for any other 403.
fn insufficient_scope(method: &str, reply: &Reply) -> Option<ClientError> {
    let challenge = reply.www_authenticate.as_deref().and_then(BearerChallenge::parse)?;
    if challenge.error.as_deref() != Some(shared::challenge::INSUFFICIENT_SCOPE) {
        return None;
    }
    Some(ClientError::InsufficientScope {
        method: method.to_owned(),
        scope: challenge.scope.filter(|s| !s.trim().is_empty())?,
        description: challenge.error_description,
    })
}

/// Describes a non-2xx reply: a JSON-RPC error in the body, a Bearer challenge, or the status.
fn failure(out: &Outgoing<'_>, method: &str, reply: &Reply) -> ClientError {
    let messages = messages_from_body(&reply.content_type, &reply.body);
    if let Some(err) = messages.iter().find_map(|m| m.get("error")) {
        return json_rpc_error(method, err);
    }
    let challenge = reply.www_authenticate.as_deref().and_then(BearerChallenge::parse);
    let detail = match challenge.and_then(|c| c.error.map(|e| (e, c.error_description))) {
        Some((error, Some(description))) => format!("{error}: {description}"),
        Some((error, None)) => error,
        None => excerpt(&reply.body),
    };
    ClientError::Status {
        target: out.target,
        method: out.method,
        url: out.url.to_owned(),
        expected: "a 2xx response",
        got: reply.status,
        detail: Some(detail).filter(|d| !d.is_empty()),
    }
}

/// Pretty-prints JSON text; other text is returned as it is.
#[must_use]
pub fn pretty(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

// ---- Generic console calls (branch `spa`; for the lead to fold into client-core's McpClient) ----
// The console lists and calls whatever a server offers, so these return the JSON-RPC `result`
// as it came, `isError` included: the console shows every content block and `structuredContent`.

/// Most pages a `*/list` call follows (`nextCursor`) before it stops.
const MAX_PAGES: usize = 20;

impl McpClient {
    /// `tools/list`, `resources/list` or `prompts/list` with pagination: the items under `key`.
    pub async fn list_all(&self, method: &str, key: &str) -> Result<Vec<Value>, ClientError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params = match &cursor {
                Some(c) => json!({ "cursor": c }),
                None => json!({}),
            };
            let result = self.request(method, params).await?;
            all.extend(items(&result, key).cloned());
            cursor = result.get("nextCursor").and_then(Value::as_str).map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// `tools/call`, the whole result (an `isError: true` result is a result, not an error).
    pub async fn call_tool_result(&self, name: &str, arguments: Value) -> Result<Value, ClientError> {
        self.request("tools/call", json!({ "name": name, "arguments": arguments })).await
    }

    /// `resources/read`, the whole result (`contents`: text or base64 blobs).
    pub async fn read_resource_result(&self, uri: &str) -> Result<Value, ClientError> {
        self.request("resources/read", json!({ "uri": uri })).await
    }

    /// `prompts/get` with string arguments, the whole result (`messages`).
    pub async fn get_prompt(&self, name: &str, arguments: Value) -> Result<Value, ClientError> {
        self.request("prompts/get", json!({ "name": name, "arguments": arguments })).await
    }
}
