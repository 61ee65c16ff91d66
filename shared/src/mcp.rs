//! The slice of JSON-RPC 2.0 / MCP that the browser client speaks, and the JSON shapes our tools
//! and resources return. The server builds its side with `rmcp`; these types are what both
//! agree on over the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Protocol revision the browser client asks for in `initialize`.
pub const PROTOCOL_VERSION: &str = "2025-06-18";
pub const SESSION_HEADER: &str = "Mcp-Session-Id";
pub const PROTOCOL_VERSION_HEADER: &str = "MCP-Protocol-Version";

pub const TOOL_GET_USER_DATA: &str = "get_user_data";
/// Changes the caller's display name; needs `user:write` (see `scopes::PRIVILEGED_TOOLS`).
pub const TOOL_UPDATE_PROFILE: &str = "update_profile";
pub const RESOURCE_PROFILE: &str = "user://profile";
pub const RESOURCE_STATS: &str = "user://stats";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonRpcRequest {
    pub jsonrpc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

impl JsonRpcRequest {
    #[must_use]
    pub fn call(id: u64, method: &str, params: Value) -> Self {
        Self { jsonrpc: "2.0".into(), id: Some(Value::from(id)), method: method.into(), params: Some(params) }
    }

    #[must_use]
    pub fn notification(method: &str) -> Self {
        Self { jsonrpc: "2.0".into(), id: None, method: method.into(), params: None }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonRpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JsonRpcResponse {
    pub jsonrpc: String,
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JsonRpcError>,
}

/// Extracts the JSON-RPC messages from a streamable-HTTP response body, which is either plain
/// JSON or a `text/event-stream` whose `data:` lines carry JSON.
#[must_use]
pub fn messages_from_body(content_type: &str, body: &str) -> Vec<Value> {
    if content_type.starts_with("text/event-stream") {
        let mut parser = crate::sse::Parser::default();
        parser.feed(body.as_bytes());
        parser.feed(b"\n\n");
        std::iter::from_fn(|| parser.pop()).filter_map(|e| serde_json::from_str(&e.data).ok()).collect()
    } else {
        match serde_json::from_str::<Value>(body) {
            Ok(Value::Array(items)) => items,
            Ok(v) => vec![v],
            Err(_) => Vec::new(),
        }
    }
}

/// Arguments of the `get_user_data` tool.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GetUserDataArgs {
    /// `"current"` or the caller's own user id.
    pub user_id: String,
}

/// What `get_user_data` returns: the caller's own account record.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserData {
    pub user_id: String,
    pub username: String,
    pub status: String,
    #[serde(default)]
    pub last_login: Option<String>,
}

/// Longest display name `update_profile` accepts, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

/// Arguments of the `update_profile` tool.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct UpdateProfileArgs {
    pub display_name: String,
}

/// What `update_profile` returns once the name is stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProfileUpdated {
    pub user_id: String,
    pub name: String,
}

/// The display name as it will be stored (trimmed), or why it is refused: empty, longer than
/// [`MAX_DISPLAY_NAME_CHARS`], or containing control characters (they would corrupt logs and pages).
///
/// # Errors
/// A sentence for the caller saying what is wrong with the name.
pub fn validate_display_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("display_name must not be empty".into());
    }
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(format!("display_name must be at most {MAX_DISPLAY_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("display_name must not contain control characters".into());
    }
    Ok(name.to_owned())
}

/// The `user://profile` resource.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserProfile {
    pub user_id: String,
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    pub role: String,
    pub created_at: String,
}

/// The `user://stats` resource.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct UserStats {
    pub user_id: String,
    pub logins: i64,
    pub active_tokens: i64,
    pub authorized_clients: i64,
    #[serde(default)]
    pub last_login: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names() {
        assert_eq!(validate_display_name("  Alice A.  "), Ok("Alice A.".to_owned()));
        assert_eq!(validate_display_name(&"\u{e9}".repeat(80)).map(|n| n.chars().count()), Ok(80));
        assert!(validate_display_name(&"x".repeat(81)).is_err());
        assert!(validate_display_name(" \t ").is_err());
        assert!(validate_display_name("a\u{0}b").is_err());
        assert!(validate_display_name("a\nb").is_err());
    }

    #[test]
    fn reads_sse_and_json_bodies() {
        let sse = "id: 0\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n: keep-alive\n\ndata: {\"jsonrpc\":\"2.0\",\n";
        let msgs = messages_from_body("text/event-stream", sse);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0]["id"], 1);
        let json = messages_from_body("application/json", r#"{"jsonrpc":"2.0","id":2,"result":{}}"#);
        assert_eq!(json[0]["id"], 2);
        assert!(messages_from_body("application/json", "not json").is_empty());
    }

    /// A whole SSE body is read by the same parser as a live stream: CRLF line endings, data
    /// split over lines, and a last event without its blank line all count.
    #[test]
    fn a_whole_sse_body_follows_the_event_stream_rules() {
        let sse = "retry: 10\r\ndata: {\"id\":1,\r\ndata: \"result\":{}}\r\n\r\n:c\r\ndata: {\"id\":2,\"result\":{}}";
        let ids: Vec<Value> = messages_from_body("text/event-stream", sse).iter().map(|m| m["id"].clone()).collect();
        assert_eq!(ids, [1, 2]);
    }
}
