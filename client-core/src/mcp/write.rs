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
/// `shared::mcp::JsonRpcRequest` serializes to (absent members left out), without building one.
#[inline(always)] // Laid out in `exchange` (a call of its own cost more bytes).
pub(super) fn message_text(id: Option<u64>, method: &str, params: Option<&Value>) -> String {
    let id = id.map(|id| format!(r#","id":{id}"#)).unwrap_or_default();
    let params = params.map(|p| format!(r#","params":{}"#, text_of(p))).unwrap_or_default();
    format!(r#"{{"jsonrpc":"2.0"{id},"method":{}{params}}}"#, text_of(method))
}

/// Compact JSON text, through the one writer the crate uses for bodies (`serde_json::to_string`);
/// the SPA uses it too, rather than `Value`'s Display (a second compact serializer).
pub fn text_of<T: serde::Serialize + ?Sized>(value: &T) -> String {
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
        // A request without params keeps its id (it would otherwise become a notification and
        // never be answered), and a notification with params keeps them.
        let ping = JsonRpcRequest { params: None, ..JsonRpcRequest::call(8, "ping", json!({})) };
        assert_eq!(message_text(Some(8), "ping", None), serde_json::to_string(&ping).ok().unwrap_or_default());
        let progress = JsonRpcRequest { id: None, ..JsonRpcRequest::call(0, "notifications/progress", params.clone()) };
        assert_eq!(
            message_text(None, "notifications/progress", Some(&params)),
            serde_json::to_string(&progress).ok().unwrap_or_default()
        );
    }
}
