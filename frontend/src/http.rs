//! The browser's [`HttpClient`] for the core: `fetch` through gloo-net. The only code in the
//! SPA that sends requests; what they mean is `client_core`'s business. The browser handles
//! redirects itself (the core never needs to see one here), and CORS decides which response
//! headers are visible. Bodies are read whole (the trait's default `open`): the console never
//! holds a stream open.

use std::rc::Rc;

use client_core::http::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use gloo_net::http::Request;

#[derive(Clone, Copy, Debug, Default)]
pub struct Fetch;

impl HttpClient for Fetch {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = match req.method {
            Method::Get => Request::get(&req.url),
            Method::Post => Request::post(&req.url),
            Method::Delete => Request::delete(&req.url),
        };
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let request = match req.body {
            Some(body) => builder.body(String::from_utf8_lossy(&body).into_owned()),
            None => builder.build(),
        }
        .map_err(|e| TransportError(e.to_string()))?;
        let response = request.send().await.map_err(|e| TransportError(e.to_string()))?;
        let headers = response.headers().entries().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect();
        let body = response.binary().await.map_err(|e| TransportError(e.to_string()))?;
        Ok(HttpResponse { status: response.status(), headers, body })
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
