//! The browser's [`HttpClient`] for the core: `fetch` (web-sys). The only code in the
//! SPA that sends requests; what they mean is `client_core`'s business. The browser handles
//! redirects itself (the core never needs to see one here), and CORS decides which response
//! headers are visible. Bodies are read whole (the trait's default `open`): the console never
//! holds a stream open.

use std::rc::Rc;

use client_core::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

#[derive(Clone, Copy, Debug, Default)]
pub struct Fetch;

/// What the browser said, e.g. `TypeError: Failed to fetch`.
fn transport_error(e: JsValue) -> TransportError {
    let text = match e.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.to_string()),
        None => e.as_string().unwrap_or_else(|| "the browser refused the request".to_owned()),
    };
    TransportError(text)
}

/// `fetch` through web-sys directly (gloo-net's wrapper added ~2 KB of code for the same calls).
async fn fetch(req: HttpRequest) -> Result<HttpResponse, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(req.method.as_str());
    let headers = web_sys::Headers::new()?;
    for (name, value) in &req.headers {
        headers.append(name, value)?;
    }
    init.set_headers(&headers);
    if let Some(body) = &req.body {
        init.set_body(&JsValue::from_str(&String::from_utf8_lossy(body)));
    }
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("not running in a browser window"))?;
    let request = web_sys::Request::new_with_str_and_init(&req.url, &init)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request)).await?.dyn_into()?;
    // `Array.from(headers)`: the [name, value] pairs in one call, without the JS iterator protocol.
    let mut names = Vec::new();
    for pair in js_sys::Array::from(&response.headers()).iter() {
        let pair: js_sys::Array = pair.unchecked_into();
        if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            names.push((name.to_ascii_lowercase(), value));
        }
    }
    let body = js_sys::Uint8Array::new(&JsFuture::from(response.array_buffer()?).await?).to_vec();
    Ok(HttpResponse { status: response.status(), headers: names, body })
}

impl HttpClient for Fetch {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        fetch(req).await.map_err(transport_error)
    }

    /// `setTimeout` as a future (the SSE `retry` delay); at once outside a window.
    async fn sleep(&self, ms: u64) {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            let delay = i32::try_from(ms).unwrap_or(i32::MAX);
            let set = web_sys::window()
                .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, delay).is_ok());
            if set != Some(true) {
                let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

/// The MCP client type the console uses.
pub type McpClient = client_core::McpClient<Fetch>;

#[must_use]
pub fn mcp_client(url: &str, token: &str) -> McpClient {
    client_core::McpClient::new(Rc::new(Fetch), url, token)
}
