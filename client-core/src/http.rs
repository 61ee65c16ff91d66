//! The one door to the network. The core never does I/O itself: every request goes through an
//! [`HttpClient`] the caller provides (gloo-net in the SPA, reqwest in the CLI). Impls must not
//! follow redirects (the core needs to see a 3xx) and must give header names in lowercase.
//! No `Send` bound: wasm futures are `!Send`, and the CLI runs a current-thread runtime.
//! [`HttpClient::open`] reads a body as it arrives (SSE streams that stay open) and
//! [`HttpClient::sleep`] is the timer SSE's `retry` needs: the core has neither a socket nor a
//! clock of its own.

use std::fmt;
use std::pin::Pin;

use futures::{Stream, StreamExt as _};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    #[must_use]
    pub fn get(url: &str) -> Self {
        Self { method: Method::Get, url: url.to_owned(), headers: Vec::new(), body: None }
    }

    #[must_use]
    pub fn post(url: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            method: Method::Post,
            url: url.to_owned(),
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: Some(body.into()),
        }
    }

    /// Adds a header (the name is lowercased).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    #[must_use]
    pub fn header_value(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    #[must_use]
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }
}

fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// A body read chunk by chunk as it arrives.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>, TransportError>>>>;

/// A response whose body is still arriving ([`HttpClient::open`]).
pub struct StreamingResponse {
    pub status: u16,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: BodyStream,
}

impl StreamingResponse {
    /// A response already read whole, as one chunk.
    #[must_use]
    pub fn whole(res: HttpResponse) -> Self {
        let body: BodyStream = Box::pin(futures::stream::iter([Ok(res.body)]));
        Self { status: res.status, headers: res.headers, body }
    }

    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// Status and headers, with an empty body (for the exchange record of a stream).
    #[must_use]
    pub fn head(&self) -> HttpResponse {
        HttpResponse { status: self.status, headers: self.headers.clone(), body: Vec::new() }
    }

    /// Reads the rest of the body (for a body that ends: JSON, an error).
    pub async fn collect(mut self) -> Result<HttpResponse, TransportError> {
        let mut body = Vec::new();
        while let Some(chunk) = self.body.next().await {
            body.extend_from_slice(&chunk?);
        }
        Ok(HttpResponse { status: self.status, headers: self.headers, body })
    }
}

/// The request never got an answer: refused connection, DNS, TLS, or (in a browser) CORS.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

#[allow(async_fn_in_trait)]
pub trait HttpClient {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Like [`HttpClient::send`], but returns once the headers are in and the body is read as it
    /// arrives. The default reads it whole, for a transport that cannot stream (then a stream
    /// that never ends never answers).
    async fn open(&self, req: HttpRequest) -> Result<StreamingResponse, TransportError> {
        self.send(req).await.map(StreamingResponse::whole)
    }

    /// Waits `ms` milliseconds (the SSE `retry` delay before a reconnection).
    async fn sleep(&self, ms: u64);
}

impl<H: HttpClient + ?Sized> HttpClient for &H {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(req).await
    }
    async fn open(&self, req: HttpRequest) -> Result<StreamingResponse, TransportError> {
        (**self).open(req).await
    }
    async fn sleep(&self, ms: u64) {
        (**self).sleep(ms).await;
    }
}

impl<H: HttpClient + ?Sized> HttpClient for std::rc::Rc<H> {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(req).await
    }
    async fn open(&self, req: HttpRequest) -> Result<StreamingResponse, TransportError> {
        (**self).open(req).await
    }
    async fn sleep(&self, ms: u64) {
        (**self).sleep(ms).await;
    }
}
