//! Writing MCP messages: request params, the JSON-RPC message around them, compact JSON text.

use serde_json::Value;

/// Request params: an object of `pairs`, each value moved in (`json!` would serialize each one
/// again, through a second serializer). One copy for any number of pairs, inserted one by one.
pub(super) fn params(pairs: &mut [(&str, Value)]) -> Value {
    let mut map = serde_json::Map::new();
    for (key, value) in pairs {
        map.insert((*key).to_owned(), value.take());
    }
    Value::Object(map)
}

/// A JSON-RPC request (or, without an id, a notification) as text, byte for byte what
/// `shared::mcp::JsonRpcRequest` serializes to, without building one.
#[inline(always)] // Laid out in `exchange` (a call of its own cost more bytes).
pub(super) fn message_text(id: Option<u64>, method: &str, params: Option<&Value>) -> String {
    match (id, params) {
        (Some(id), Some(params)) => {
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":{},"params":{}}}"#, text_of(method), text_of(params))
        }
        _ => format!(r#"{{"jsonrpc":"2.0","method":{}}}"#, text_of(method)),
    }
}

/// Compact JSON text, through the one writer the crate uses for bodies (`serde_json::to_string`).
pub(super) fn text_of<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use shared::mcp::JsonRpcRequest;

    use super::message_text;

    #[test]
    fn message_text_is_what_the_shared_request_type_serializes_to() {
        let params = json!({"name": "t\"x", "arguments": {"b": [1, 2.5, null], "a": "é\n"}});
        let call = JsonRpcRequest::call(7, "tools/call", params.clone());
        assert_eq!(
            message_text(Some(7), "tools/call", Some(&params)),
            serde_json::to_string(&call).ok().unwrap_or_default()
        );
        let note = JsonRpcRequest::notification("notifications/initialized");
        assert_eq!(
            message_text(None, "notifications/initialized", None),
            serde_json::to_string(&note).ok().unwrap_or_default()
        );
    }
}
