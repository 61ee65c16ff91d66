//! MCP calls that hand back what the server said, whole: for a client that lists and calls
//! whatever a server offers (the SPA's console) and shows every content block,
//! `structuredContent` and `isError` as they came. `McpClient`'s `call_tool` and friends give
//! the text only, which is what the CLI prints.

use serde_json::Value;

use super::{params, McpClient};
use crate::error::CoreError;
use crate::http::HttpClient;

/// Most pages a `*/list` call follows (`nextCursor`) before it stops.
const MAX_PAGES: usize = 20;

impl<H: HttpClient> McpClient<H> {
    /// `tools/list`, `resources/list` or `prompts/list`, every page: the items under `key`.
    pub async fn list_all(&self, method: &str, key: &str) -> Result<Vec<Value>, CoreError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params = match &cursor {
                Some(c) => params(&mut [("cursor", c.as_str().into())]),
                None => params(&mut []),
            };
            let result = self.call(method, params).await?;
            all.extend(result[key].as_array().into_iter().flatten().cloned());
            cursor = result["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// `tools/call`, the whole result (an `isError: true` result is a result, not an error).
    pub async fn call_tool_result(&self, name: &str, arguments: Value) -> Result<Value, CoreError> {
        self.call("tools/call", params(&mut [("name", name.into()), ("arguments", arguments)])).await
    }

    /// `resources/read`, the whole result (`contents`: text or base64 blobs).
    pub async fn read_resource_result(&self, uri: &str) -> Result<Value, CoreError> {
        self.call("resources/read", params(&mut [("uri", uri.into())])).await
    }

    /// `prompts/get` with string arguments, the whole result (`messages`).
    pub async fn get_prompt_result(&self, name: &str, arguments: Value) -> Result<Value, CoreError> {
        self.call("prompts/get", params(&mut [("name", name.into()), ("arguments", arguments)])).await
    }
}
