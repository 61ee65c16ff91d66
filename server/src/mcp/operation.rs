//! Which scopes one `/mcp` request needs (MCP authorization, "Scope Challenge Handling"): the
//! endpoint's own scope, plus those of any privileged tool it calls (`shared::scopes::
//! PRIVILEGED_TOOLS`). To know that, a POST body is read here (bounded by `MAX_MCP_BODY_BYTES`)
//! and handed on unchanged; a body that is not JSON goes on as it came, so rmcp answers it with
//! its own JSON-RPC error. This module decides nothing about the token itself.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use shared::scopes::{self, ScopeSet};

use super::MAX_MCP_BODY_BYTES;

/// Reads the request's JSON-RPC body (POST only) and returns the request, rebuilt for rmcp, with
/// every scope it needs. A token that already `held` every privileged tool's scopes cannot lack
/// one, so its body is not read at all. Fails only when the body cannot be read: 413 when it is
/// too large.
pub async fn scopes_needed(req: Request, held: &ScopeSet) -> Result<(Request, Cow<'static, ScopeSet>), Response> {
    let holds_all = scopes::PRIVILEGED_TOOLS.iter().all(|(_, tool_needs)| tool_needs.iter().all(|s| held.contains(s)));
    if req.method() != Method::POST || holds_all {
        return Ok((req, Cow::Borrowed(&ENDPOINT)));
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match Limited::new(body, MAX_MCP_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response())
        }
        Err(_) => return Err((StatusCode::BAD_REQUEST, "could not read the request body").into_response()),
    };
    let mut needed = Cow::Borrowed(&*ENDPOINT);
    if may_call_privileged(&bytes) {
        for tool in called_tools(&bytes) {
            needed.to_mut().extend_names(scopes::required_for_tool(&tool));
        }
    }
    Ok((Request::from_parts(parts, Body::from(bytes)), needed))
}

/// What every request needs: the endpoint's own scope (built once, not per request).
static ENDPOINT: LazyLock<ScopeSet> = LazyLock::new(|| ScopeSet::from_names(scopes::MCP_REQUIRED));

/// False only when no privileged tool can be named in `body`: without a backslash a JSON string
/// holds its text literally, so a call of a privileged tool would show its name as is. Spares the
/// hot path (ordinary tool calls) a full JSON parse; anything else is parsed.
fn may_call_privileged(body: &[u8]) -> bool {
    body.contains(&b'\\')
        || scopes::PRIVILEGED_TOOLS.iter().any(|(name, _)| body.windows(name.len()).any(|w| w == name.as_bytes()))
}

/// The names of the tools a JSON-RPC message (or batch) calls. Parsed as a generic value, so
/// escapes and duplicate keys are read the way rmcp reads them; not JSON → none.
fn called_tools(body: &[u8]) -> Vec<String> {
    let messages = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(batch)) => batch,
        Ok(single) => vec![single],
        Err(_) => return Vec::new(),
    };
    messages
        .iter()
        .filter(|m| m.get("method").and_then(Value::as_str) == Some("tools/call"))
        .filter_map(|m| m.get("params")?.get("name")?.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::called_tools;

    #[test]
    fn finds_calls_in_messages_and_batches() {
        let one = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"update_profile"}}"#;
        assert_eq!(called_tools(one), vec!["update_profile"]);
        let escaped = br#"{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"update\u005fprofile"}}"#;
        assert_eq!(called_tools(escaped), vec!["update_profile"]);
        let batch = br#"[{"method":"tools/list","id":1},{"method":"tools/call","id":2,"params":{"name":"x"}}]"#;
        assert_eq!(called_tools(batch), vec!["x"]);
        assert!(called_tools(b"{not json").is_empty());
        assert!(called_tools(br#"{"method":"resources/read","params":{"name":"update_profile"}}"#).is_empty());
    }

    #[test]
    fn only_bodies_that_cannot_name_a_privileged_tool_skip_the_parse() {
        use super::may_call_privileged;
        let plain = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_user_data"}}"#;
        assert!(!may_call_privileged(plain));
        assert!(may_call_privileged(br#"{"method":"tools/call","params":{"name":"update_profile"}}"#));
        assert!(may_call_privileged(br#"{"method":"tools/call","params":{"name":"update\u005fprofile"}}"#));
        assert!(may_call_privileged(br#"{"method":"tools\/call","params":{"name":"x"}}"#));
    }
}
