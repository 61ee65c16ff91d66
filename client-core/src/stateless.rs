//! The 2026-07-28 stateless lifecycle's per-request parts (SEP-2575, SEP-2243): the `_meta`
//! every request carries, the `Mcp-Method` / `Mcp-Name` headers, the `Mcp-Param-*` headers
//! mirrored from tool parameters annotated `x-mcp-header`, and which version to retry at when a
//! server refuses ours. Without the `stateless` feature (the SPA) only the constants are used.
#![cfg_attr(not(feature = "stateless"), allow(dead_code))]

use std::collections::BTreeMap;

use serde_json::{json, Value};
use shared::base64;

use crate::http::HttpRequest;
use crate::mcp::{CLIENT_NAME, CLIENT_VERSION};

/// The stateless protocol versions this client speaks, preferred first.
pub const STATELESS_VERSIONS: &[&str] = &["2026-07-28"];
/// JSON-RPC error of a server that does not speak the request's protocol version.
pub(crate) const UNSUPPORTED_VERSION: i64 = -32022;

/// `params` with `_meta` holding the protocol version, client capabilities and client info.
pub(crate) fn with_meta(params: Value, version: &str, capabilities: &Value) -> Value {
    let mut params = if params.is_object() { params } else { json!({}) };
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": { "name": CLIENT_NAME, "version": CLIENT_VERSION },
    });
    if let Some(obj) = params.as_object_mut() {
        obj.insert("_meta".into(), meta);
    }
    params
}

/// SEP-2243: `Mcp-Method` mirrors the body's method, `Mcp-Name` the tool or prompt name or the
/// resource URI (a value that is not plain visible ASCII is left out), and a `tools/call` of a
/// tool in `header_params` (from [`header_params`]) gets its `Mcp-Param-*` headers.
pub(crate) fn with_standard_headers(
    mut req: HttpRequest,
    method: &str,
    params: Option<&Value>,
    header_params: &BTreeMap<String, Vec<(String, String)>>,
) -> HttpRequest {
    req = req.header("mcp-method", method);
    if method == "tools/call" {
        let params = params.unwrap_or(&Value::Null);
        if let Some(mapping) = params["name"].as_str().and_then(|n| header_params.get(n)) {
            for (name, value) in param_headers(mapping, &params["arguments"]) {
                req = req.header(&name, &value);
            }
        }
    }
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => "uri",
        _ => return req,
    };
    let name = params.and_then(|p| p.get(field)).and_then(Value::as_str);
    match name.filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() || b == b' ')) {
        Some(n) => req.header("mcp-name", n),
        None => req,
    }
}

/// Tool name → (parameter, header name) for every parameter annotated `x-mcp-header`. A tool
/// with an invalid annotation (empty, not a token, not unique ignoring case, on a non-primitive
/// parameter) gets no mapping at all.
pub(crate) fn header_params(tools_list: &Value) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out = BTreeMap::new();
    for tool in tools_list["tools"].as_array().into_iter().flatten() {
        let Some(name) = tool["name"].as_str() else { continue };
        let mut params: Vec<(String, String)> = Vec::new();
        let mut valid = true;
        for (param, schema) in tool["inputSchema"]["properties"].as_object().into_iter().flatten() {
            let Some(header) = schema.get("x-mcp-header") else { continue };
            let header = header.as_str().unwrap_or_default();
            let primitive = matches!(schema["type"].as_str(), Some("string" | "integer" | "number" | "boolean"));
            let token = !header.is_empty() && header.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            let unique = !params.iter().any(|(_, h)| h.eq_ignore_ascii_case(header));
            if !(primitive && token && unique) {
                valid = false;
                break;
            }
            params.push((param.clone(), header.to_owned()));
        }
        if valid && !params.is_empty() {
            out.insert(name.to_owned(), params);
        }
    }
    out
}

/// The `Mcp-Param-{Header}` headers of one call: null or absent arguments are left out.
pub(crate) fn param_headers(mapping: &[(String, String)], arguments: &Value) -> Vec<(String, String)> {
    mapping
        .iter()
        .filter_map(|(param, header)| {
            let value = match arguments.get(param)? {
                Value::String(s) => encode_header_value(s),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((format!("mcp-param-{}", header.to_ascii_lowercase()), value))
        })
        .collect()
}

/// Plain when the value is visible ASCII and spaces with no space at either end; otherwise
/// `=?base64?…?=` (non-ASCII, control characters such as CR/LF, edge whitespace).
fn encode_header_value(s: &str) -> String {
    let plain = s.bytes().all(|b| (0x20..=0x7e).contains(&b)) && s.trim() == s;
    if plain {
        s.to_owned()
    } else {
        format!("=?base64?{}?=", base64::standard(s.as_bytes()))
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
        let p = with_meta(json!({"name": "t"}), "2026-07-28", &json!({}));
        assert_eq!(p["name"], "t");
        assert_eq!(p["_meta"]["io.modelcontextprotocol/protocolVersion"], "2026-07-28");
        assert!(p["_meta"]["io.modelcontextprotocol/clientCapabilities"].is_object());
        assert!(with_meta(Value::Null, "2026-07-28", &json!({}))["_meta"].is_object());
    }

    #[test]
    fn standard_headers_mirror_method_and_name() {
        let headers = |method: &str, params: Value| {
            with_standard_headers(HttpRequest::get("http://x"), method, Some(&params), &BTreeMap::new())
        };
        let req = headers("tools/call", json!({"name": "test-tool"}));
        assert_eq!(req.header_value("mcp-method"), Some("tools/call"));
        assert_eq!(req.header_value("mcp-name"), Some("test-tool"));
        assert_eq!(headers("tools/list", json!({})).header_value("mcp-name"), None);
        assert_eq!(headers("tools/call", json!({"name": "t\nX-Evil: 1"})).header_value("mcp-name"), None);
    }

    #[test]
    fn annotated_parameters_become_headers_encoded_when_unsafe() {
        let list = json!({"tools": [
            {"name": "t", "inputSchema": {"type": "object", "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "n": {"type": "integer", "x-mcp-header": "Priority"},
                "flag": {"type": "boolean", "x-mcp-header": "Verbose"},
                "crlf": {"type": "string", "x-mcp-header": "CrLf"},
                "plain": {"type": "number"}
            }}},
            {"name": "bad", "inputSchema": {"type": "object", "properties": {
                "a": {"type": "string", "x-mcp-header": "Has Space"}
            }}}
        ]});
        let map = header_params(&list);
        assert!(!map.contains_key("bad"), "an invalid annotation disqualifies the tool");
        let args = json!({"region": "us-west1", "n": 42, "flag": null, "crlf": "a\r\nX-Evil: 1", "plain": 1.5});
        let mut headers = param_headers(&map["t"], &args);
        headers.sort();
        assert_eq!(
            headers,
            vec![
                ("mcp-param-crlf".to_owned(), "=?base64?YQ0KWC1FdmlsOiAx?=".to_owned()),
                ("mcp-param-priority".to_owned(), "42".to_owned()),
                ("mcp-param-region".to_owned(), "us-west1".to_owned()),
            ]
        );
        assert_eq!(
            encode_header_value(" padded "),
            "=?base64?IHBhZGRlZCA=?=" // " padded "
        );
        assert_eq!(encode_header_value(""), "");
    }

    #[test]
    fn only_a_version_we_speak_is_retried() {
        let e = |supported: Value| json!({"code": -32022, "data": {"supported": supported}});
        assert_eq!(version_to_retry(&e(json!(["2026-07-28"]))).as_deref(), Some("2026-07-28"));
        assert_eq!(version_to_retry(&e(json!(["2099-01-01"]))), None);
        assert_eq!(version_to_retry(&json!({"code": -32600})), None);
    }
}
