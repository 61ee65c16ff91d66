//! Shows an MCP result in full: `isError` as a visible banner, every content block (text —
//! pretty-printed when it is JSON —, image as an `<img>` with a data URL, embedded resource,
//! resource link), `resources/read` contents, `prompts/get` messages, and `structuredContent` as
//! pretty JSON. Long values wrap (`pre.result` in style.css).

use client_core::mcp::{pretty, pretty_value, text_of};
use leptos::prelude::*;
use serde_json::Value;

use super::attr;

fn text_view(text: &str) -> AnyView {
    view! { <pre class="result" data-testid="content-text">{pretty(text)}</pre> }.into_any()
}

/// One item: a content block, an entry of `resources/read` `contents`, or a `prompts/get`
/// message (its role, then its content block).
fn block_view(block: &Value) -> AnyView {
    let mime = block["mimeType"].as_str().unwrap_or_default();
    if let Some(role) = block["role"].as_str() {
        let role = role.to_owned();
        return view! { <div class="block" data-testid="prompt-message"><span class="muted">{role}</span>{block_view(&block["content"])}</div> }
            .into_any();
    }
    if let Some(text) = block["text"].as_str() {
        return text_view(text);
    }
    match (block["type"].as_str(), block["data"].as_str().or_else(|| block["blob"].as_str())) {
        (Some("resource"), _) => {
            let uri = block["resource"]["uri"].as_str().unwrap_or_default().to_owned();
            view! {
                <div class="block" data-testid="content-resource">
                    <code>{uri}</code>
                    {block_view(&block["resource"])}
                </div>
            }
            .into_any()
        }
        (Some("resource_link"), _) => {
            let uri = block["uri"].as_str().unwrap_or_default().to_owned();
            view! { <p data-testid="content-link">"Resource link: " <code>{uri}</code></p> }.into_any()
        }
        (_, Some(data)) if mime.starts_with("image/") => {
            let src = format!("data:{mime};base64,{data}");
            view! { <img class="content-image" data-testid="content-image" {..attr("src", src)} {..attr("alt", mime.to_owned())} /> }.into_any()
        }
        (_, Some(data)) => {
            let note = format!("({mime} data, {} base64 characters)", data.len());
            view! { <p class="muted" data-testid="content-binary">{note}</p> }.into_any()
        }
        _ => text_view(&text_of(block)),
    }
}

/// A `tools/call`, `resources/read` or `prompts/get` result. Its parts go into one
/// `Vec<AnyView>`: one child type to render, where optional parts and lists side by side were
/// a tuple of five.
pub fn mcp_result(result: &Value, testid: &'static str) -> AnyView {
    let is_error = result["isError"].as_bool() == Some(true);
    let mut parts = Vec::new();
    if is_error {
        parts.push(super::banner(true, "is-error", "The server reported an error (isError: true).".to_owned()));
    }
    if let Some(json) = result.get("structuredContent").filter(|v| !v.is_null()).map(pretty_value) {
        parts.push(view! { <p class="muted">"structuredContent"</p> }.into_any());
        parts.push(view! { <pre class="result" data-testid="structured">{json}</pre> }.into_any());
    }
    // Content blocks, `resources/read` contents, `prompts/get` messages: all block views.
    for key in ["content", "contents", "messages"] {
        parts.extend(result[key].as_array().into_iter().flatten().map(block_view));
    }
    let error_flag = if is_error { "true" } else { "false" };
    view! { <div class="mcp-result" data-testid=testid data-is-error=error_flag>{parts}</div> }.into_any()
}
