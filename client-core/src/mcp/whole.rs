//! Listing everything a server offers, every page, as the server said it: for a client that
//! lists and calls whatever a server offers (the SPA's console). Whole results of a call are
//! what `McpClient::call` returns; `call_tool` and friends give the text only.

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
}
