//! Requests the server sends the client: `elicitation/create` (SEP-1034 defaults), `ping`, and
//! the SEP-2322 multi-round-trip loop (an `input_required` result names input requests; the
//! client answers them and sends the request again with `inputResponses` and, when the server
//! gave one, the unchanged `requestState`).

use std::rc::Rc;

use serde_json::{json, Map, Value};

/// Answers an `elicitation/create` (its `params`) with an `ElicitResult`
/// (`{"action": "accept" | "decline" | "cancel", "content": {…}}`).
pub type ElicitationHandler = Rc<dyn Fn(&Value) -> Value>;

/// JSON-RPC "method not found", for a server request the client does not handle.
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;

/// The `default` of each property of a form's `requestedSchema` (SEP-1034), by property name.
#[must_use]
pub fn defaults(requested_schema: &Value) -> Map<String, Value> {
    requested_schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, schema)| schema.get("default").map(|d| (name.clone(), d.clone())))
        .collect()
}

/// An elicitation answered without a person: accepted with the schema's defaults (a client
/// that cannot ask anyone, such as a script, takes what the server proposes).
#[must_use]
pub fn accept_defaults(params: &Value) -> Value {
    json!({ "action": "accept", "content": defaults(&params["requestedSchema"]) })
}

/// The result of one server request, or a JSON-RPC error (code, message).
pub(crate) fn answer(
    method: &str,
    params: &Value,
    handler: Option<&ElicitationHandler>,
) -> Result<Value, (i64, String)> {
    match (method, handler) {
        ("elicitation/create", Some(handler)) => Ok(handler(params)),
        ("ping", _) => Ok(json!({})),
        _ => Err((METHOD_NOT_FOUND, format!("the client does not handle {method}"))),
    }
}

/// SEP-2322: the input requests of an `input_required` result, or `None` when the result is
/// complete (`resultType` absent means complete).
#[must_use]
pub fn input_requests(result: &Value) -> Option<&Map<String, Value>> {
    if result["resultType"].as_str() != Some("input_required") {
        return None;
    }
    result["inputRequests"].as_object()
}

/// The params of the retry: the original ones with `inputResponses` and the `requestState`
/// echoed byte for byte (left out when the server sent none).
#[must_use]
pub fn retry_params(original: &Value, responses: Map<String, Value>, result: &Value) -> Value {
    // Copied member by member, leaving out a stale `requestState`: no map removal (B-tree
    // rebalancing code) and no map clone in the SPA.
    let mut params = Map::new();
    for (key, value) in original.as_object().into_iter().flatten().filter(|(key, _)| *key != "requestState") {
        params.insert(key.clone(), value.clone());
    }
    params.insert("inputResponses".into(), Value::Object(responses));
    if let Some(state) = result.get("requestState").filter(|s| !s.is_null()) {
        params.insert("requestState".into(), state.clone());
    }
    Value::Object(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_of_every_type_are_applied_and_fields_without_one_left_out() {
        let schema = json!({"type": "object", "properties": {
            "name": {"type": "string", "default": "John Doe"},
            "age": {"type": "integer", "default": 30},
            "score": {"type": "number", "default": 95.5},
            "status": {"type": "string", "enum": ["active", "inactive"], "default": "active"},
            "verified": {"type": "boolean", "default": true},
            "free": {"type": "string"}
        }});
        let answer = accept_defaults(&json!({"message": "m", "requestedSchema": schema}));
        assert_eq!(answer["action"], "accept");
        assert_eq!(
            answer["content"],
            json!({"name": "John Doe", "age": 30, "score": 95.5, "status": "active", "verified": true})
        );
        assert_eq!(accept_defaults(&json!({}))["content"], json!({}));
    }

    #[test]
    fn elicitation_needs_a_handler_and_unknown_requests_are_refused() {
        let handler: ElicitationHandler = Rc::new(accept_defaults);
        assert!(matches!(answer("elicitation/create", &json!({}), Some(&handler)), Ok(r) if r["action"] == "accept"));
        assert!(matches!(answer("elicitation/create", &json!({}), None), Err((METHOD_NOT_FOUND, _))));
        assert!(matches!(answer("sampling/createMessage", &json!({}), Some(&handler)), Err((METHOD_NOT_FOUND, _))));
        assert_eq!(answer("ping", &json!({}), None), Ok(json!({})));
    }

    #[test]
    fn only_input_required_results_start_another_round() {
        assert!(input_requests(&json!({"content": []})).is_none(), "no resultType means complete");
        assert!(input_requests(&json!({"resultType": "complete", "inputRequests": {}})).is_none());
        let r = json!({"resultType": "input_required", "inputRequests": {"confirm": {"method": "elicitation/create"}}});
        assert_eq!(input_requests(&r).map(Map::len), Some(1));
    }

    #[test]
    fn the_retry_echoes_the_state_exactly_or_sends_none() {
        let original = json!({"name": "t", "arguments": {}, "requestState": "stale"});
        let mut responses = Map::new();
        responses.insert("confirm".into(), json!({"action": "accept", "content": {}}));
        let state = r#"{"nonce":"n", "originalId":3}"#;
        let with = retry_params(&original, responses.clone(), &json!({"requestState": state}));
        assert_eq!(with["requestState"], state);
        assert_eq!(with["inputResponses"]["confirm"]["action"], "accept");
        assert_eq!(with["name"], "t");
        let without = retry_params(&original, responses, &json!({"resultType": "input_required"}));
        assert!(without.get("requestState").is_none(), "{without}");
    }
}
