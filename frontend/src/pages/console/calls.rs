//! Generic MCP calls the console needs on top of `client_core::McpClient` (branch `spa`; for the
//! lead to fold into the core): paginated lists and whole results. The console lists and calls
//! whatever a server offers, so these return the JSON-RPC `result` as it came, `isError`
//! included: the console shows every content block and `structuredContent`.

use serde_json::{json, Value};

use crate::error::ClientError;
use crate::http::McpClient;

/// Most pages a `*/list` call follows (`nextCursor`) before it stops.
const MAX_PAGES: usize = 20;

/// `tools/list`, `resources/list` or `prompts/list`, every page: the items under `key`.
pub async fn list_all(c: &McpClient, method: &str, key: &str) -> Result<Vec<Value>, ClientError> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let params = match &cursor {
            Some(c) => json!({ "cursor": c }),
            None => json!({}),
        };
        let result = c.call(method, params).await?;
        all.extend(result[key].as_array().into_iter().flatten().cloned());
        cursor = result["nextCursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    Ok(all)
}

/// `tools/call`, the whole result (an `isError: true` result is a result, not an error).
pub async fn call_tool(c: &McpClient, name: &str, arguments: Value) -> Result<Value, ClientError> {
    c.call("tools/call", json!({ "name": name, "arguments": arguments })).await
}

/// `resources/read`, the whole result (`contents`: text or base64 blobs).
pub async fn read_resource(c: &McpClient, uri: &str) -> Result<Value, ClientError> {
    c.call("resources/read", json!({ "uri": uri })).await
}

/// `prompts/get` with string arguments, the whole result (`messages`).
pub async fn get_prompt(c: &McpClient, name: &str, arguments: Value) -> Result<Value, ClientError> {
    c.call("prompts/get", json!({ "name": name, "arguments": arguments })).await
}
