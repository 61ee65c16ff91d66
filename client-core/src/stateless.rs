//! The 2026-07-28 stateless lifecycle's per-request parts (SEP-2575, SEP-2243): the `_meta`
//! every request carries, the `Mcp-Method` / `Mcp-Name` headers, and which version to retry at
//! when a server refuses ours.

use serde_json::{json, Value};
use shared::mcp::JsonRpcRequest;

use crate::http::HttpRequest;
use crate::mcp::{CLIENT_NAME, CLIENT_VERSION};

/// The stateless protocol versions this client speaks, preferred first.
pub const STATELESS_VERSIONS: &[&str] = &["2026-07-28"];
/// JSON-RPC error of a server that does not speak the request's protocol version.
pub(crate) const UNSUPPORTED_VERSION: i64 = -32022;

/// `params` with `_meta` holding the protocol version, client capabilities and client info.
pub(crate) fn with_meta(params: Value, version: &str) -> Value {
    let mut params = if params.is_object() { params } else { json!({}) };
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { "name": CLIENT_NAME, "version": CLIENT_VERSION },
    });
    if let Some(obj) = params.as_object_mut() {
        obj.insert("_meta".into(), meta);
    }
    params
}

/// SEP-2243: `Mcp-Method` mirrors the body's method, `Mcp-Name` the tool or prompt name or the
/// resource URI; a value that is not plain visible ASCII is left out.
pub(crate) fn with_standard_headers(mut req: HttpRequest, message: &JsonRpcRequest) -> HttpRequest {
    req = req.header("mcp-method", &message.method);
    let field = match message.method.as_str() {
        "tools/call" | "prompts/get" => "name",
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => "uri",
        _ => return req,
    };
    let name = message.params.as_ref().and_then(|p| p.get(field)).and_then(Value::as_str);
    match name.filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() || b == b' ')) {
        Some(n) => req.header("mcp-name", n),
        None => req,
    }
}

/// From a -32022 error: the first version we speak among those the server lists (retried once).
pub(crate) fn version_to_retry(error: &Value) -> Option<String> {
    if error["code"].as_i64() != Some(UNSUPPORTED_VERSION) {
        return None;
    }
    let offered: Vec<&str> =
        error["data"]["supported"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    STATELESS_VERSIONS.iter().find(|v| offered.contains(v)).map(|v| (*v).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_is_added_to_every_request_and_keeps_the_params() {
        let p = with_meta(json!({"name": "t"}), "2026-07-28");
        assert_eq!(p["name"], "t");
        assert_eq!(p["_meta"]["io.modelcontextprotocol/protocolVersion"], "2026-07-28");
        assert!(p["_meta"]["io.modelcontextprotocol/clientCapabilities"].is_object());
        assert!(with_meta(Value::Null, "2026-07-28")["_meta"].is_object());
    }

    #[test]
    fn standard_headers_mirror_method_and_name() {
        let call = JsonRpcRequest::call(1, "tools/call", json!({"name": "test-tool"}));
        let req = with_standard_headers(HttpRequest::get("http://x"), &call);
        assert_eq!(req.header_value("mcp-method"), Some("tools/call"));
        assert_eq!(req.header_value("mcp-name"), Some("test-tool"));
        let list = JsonRpcRequest::call(2, "tools/list", json!({}));
        assert_eq!(with_standard_headers(HttpRequest::get("http://x"), &list).header_value("mcp-name"), None);
        let odd = JsonRpcRequest::call(3, "tools/call", json!({"name": "t\nX-Evil: 1"}));
        assert_eq!(with_standard_headers(HttpRequest::get("http://x"), &odd).header_value("mcp-name"), None);
    }

    #[test]
    fn only_a_version_we_speak_is_retried() {
        let e = |supported: Value| json!({"code": -32022, "data": {"supported": supported}});
        assert_eq!(version_to_retry(&e(json!(["2026-07-28"]))).as_deref(), Some("2026-07-28"));
        assert_eq!(version_to_retry(&e(json!(["2099-01-01"]))), None);
        assert_eq!(version_to_retry(&json!({"code": -32600})), None);
    }
}
