//! The browser's [`HttpClient`] for the core: `fetch` through gloo-net. The only code in the
//! SPA that sends requests; what they mean is `client_core`'s business. The browser handles
//! redirects itself (the core never needs to see one here), and CORS decides which response
//! headers are visible.

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
}

/// The MCP client type the console uses.
pub type McpClient = client_core::McpClient<Fetch>;

#[must_use]
pub fn mcp_client(url: &str, token: &str) -> McpClient {
    client_core::McpClient::new(Rc::new(Fetch), url, token)
}
