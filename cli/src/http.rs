//! The CLI's [`HttpClient`]: reqwest with rustls, no redirects followed (the core must see every
//! 3xx: an authorization server's redirect carries the code), header names in lowercase.

use std::time::Duration;

use client_core::http::{BodyStream, HttpClient, HttpRequest, HttpResponse, Method, StreamingResponse, TransportError};

pub struct ReqwestHttp {
    client: reqwest::Client,
}

impl ReqwestHttp {
    pub fn new() -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("mcp-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError(format!("could not build the HTTP client: {e}")))?;
        Ok(Self { client })
    }
}

impl ReqwestHttp {
    /// Sends `req`; returns the response with its body unread.
    async fn start(&self, req: HttpRequest) -> Result<reqwest::Response, TransportError> {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, &req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        builder.send().await.map_err(|e| TransportError(describe(&req.url, &e)))
    }
}

fn head(resp: &reqwest::Response) -> (u16, Vec<(String, String)>) {
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    (resp.status().as_u16(), headers)
}

impl HttpClient for ReqwestHttp {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = req.url.clone();
        let resp = self.start(req).await?;
        let (status, headers) = head(&resp);
        let body = resp.bytes().await.map_err(|e| TransportError(describe(&url, &e)))?.to_vec();
        Ok(HttpResponse { status, headers, body })
    }

    /// The body as reqwest's chunks, read as they arrive (an SSE stream that stays open).
    async fn open(&self, req: HttpRequest) -> Result<StreamingResponse, TransportError> {
        let url = req.url.clone();
        let resp = self.start(req).await?;
        let (status, headers) = head(&resp);
        let body: BodyStream = Box::pin(futures::stream::unfold(Some(resp), move |resp| {
            let url = url.clone();
            async move {
                let mut resp = resp?;
                match resp.chunk().await {
                    Ok(Some(chunk)) => Some((Ok(chunk.to_vec()), Some(resp))),
                    Ok(None) => None,
                    Err(e) => Some((Err(TransportError(describe(&url, &e))), None)),
                }
            }
        }));
        Ok(StreamingResponse { status, headers, body })
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// One line that says what failed, without reqwest's nested source chain noise.
fn describe(url: &str, e: &reqwest::Error) -> String {
    let what = if e.is_connect() {
        "could not connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        format!("{what}: {url}")
    } else {
        format!("{what}: {url} ({detail})")
    }
}
