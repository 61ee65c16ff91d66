//! Reading MCP results and failures: list items, tool output, JSON-RPC errors, a 403's
//! `insufficient_scope` challenge.

use serde_json::Value;
use shared::challenge::{BearerChallenge, INSUFFICIENT_SCOPE};
use shared::mcp::messages_from_body;

use super::{Item, WHAT};
use crate::error::CoreError;
use crate::http::HttpResponse;
use crate::wire::excerpt;

pub(super) fn items<'a>(result: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    result.get(key).and_then(Value::as_array).into_iter().flatten()
}

pub(super) fn item(v: &Value, name: &str, description: &str) -> Item {
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    Item { name: text(name), description: text(description) }
}

pub(super) fn json_rpc_error(method: &str, err: &Value) -> CoreError {
    CoreError::JsonRpc {
        method: method.to_owned(),
        code: err["code"].as_i64().unwrap_or_default(),
        message: err["message"].as_str().unwrap_or("(no message)").to_owned(),
    }
}

/// A 403 whose Bearer challenge says `insufficient_scope` and names the scopes needed.
pub(super) fn insufficient_scope(method: &str, res: &HttpResponse) -> Option<CoreError> {
    let challenge = res.header("www-authenticate").and_then(BearerChallenge::parse)?;
    if challenge.error.as_deref() != Some(INSUFFICIENT_SCOPE) {
        return None;
    }
    Some(CoreError::InsufficientScope {
        method: method.to_owned(),
        scope: challenge.scope.filter(|s| !s.trim().is_empty())?,
        description: challenge.error_description,
    })
}

pub(super) fn failure(url: &str, method: &str, res: &HttpResponse) -> CoreError {
    let messages = messages_from_body(res.content_type(), &res.text());
    if let Some(err) = messages.iter().find_map(|m| m.get("error")) {
        return json_rpc_error(method, err);
    }
    let challenge = res.header("www-authenticate").and_then(BearerChallenge::parse);
    let detail = match challenge.and_then(|c| c.error.map(|e| (e, c.error_description))) {
        Some((error, Some(description))) => format!("{error}: {description}"),
        Some((error, None)) => error,
        None => excerpt(&res.text()),
    };
    CoreError::Status {
        what: WHAT.into(),
        method: "POST".into(),
        url: url.to_owned(),
        expected: "a 2xx response".into(),
        got: res.status,
        detail: Some(detail).filter(|d| !d.is_empty()),
    }
}

/// Pretty-prints JSON text; other text is returned as it is.
#[must_use]
pub fn pretty(text: &str) -> String {
    serde_json::from_str::<Value>(text).map_or_else(|_| text.to_owned(), |v| pretty_value(&v))
}

/// `v` as pretty JSON text: the one pretty printer of the crate and of the SPA (a second one,
/// such as `Value`'s `{:#}` Display, is ~1.2 KB of code more for the same text).
#[must_use]
pub fn pretty_value(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A `tools/call` result as text: `isError` becomes an error; `structuredContent` is preferred.
pub(super) fn tool_output(tool: &str, result: &Value) -> Result<String, CoreError> {
    let texts: Vec<&str> = items(result, "content").filter_map(|c| c.get("text").and_then(Value::as_str)).collect();
    let text = texts.join("\n");
    if result["isError"].as_bool() == Some(true) {
        return Err(CoreError::ToolFailed { tool: tool.to_owned(), message: text });
    }
    match result.get("structuredContent") {
        Some(s) if !s.is_null() => Ok(pretty_value(s)),
        _ => Ok(pretty(&text)),
    }
}
