//! Test support: a reqwest [`HttpClient`] (redirects never followed) and a small fake MCP
//! server + authorization server on 127.0.0.1:0 ([`fake`]), real HTTP both ways.

#![allow(dead_code, clippy::unwrap_used)]

pub mod fake;

use std::cell::RefCell;

use client_core::flow::{Observer, Step};
use client_core::http::{BodyStream, HttpClient, HttpRequest, HttpResponse, Method, StreamingResponse, TransportError};
use client_core::identity::ClientConfig;

pub struct Reqwest(reqwest::Client);

impl Reqwest {
    pub fn new() -> Self {
        Self(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap())
    }
}

impl Reqwest {
    /// Sends `req` and returns the response with its headers read, its body not yet.
    async fn start(&self, req: HttpRequest) -> Result<(u16, Vec<(String, String)>, reqwest::Response), TransportError> {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut b = self.0.request(method, &req.url);
        for (n, v) in &req.headers {
            b = b.header(n, v);
        }
        if let Some(body) = req.body {
            b = b.body(body);
        }
        let res = b.send().await.map_err(|e| TransportError(e.to_string()))?;
        let headers = res
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        Ok((res.status().as_u16(), headers, res))
    }
}

impl HttpClient for Reqwest {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (status, headers, res) = self.start(req).await?;
        let body = res.bytes().await.map_err(|e| TransportError(e.to_string()))?.to_vec();
        Ok(HttpResponse { status, headers, body })
    }

    /// The body as reqwest's chunks, as they arrive.
    async fn open(&self, req: HttpRequest) -> Result<StreamingResponse, TransportError> {
        let (status, headers, res) = self.start(req).await?;
        let body: BodyStream = Box::pin(futures::stream::unfold(Some(res), |res| async move {
            let mut res = res?;
            match res.chunk().await {
                Ok(Some(c)) => Some((Ok(c.to_vec()), Some(res))),
                Ok(None) => None,
                Err(e) => Some((Err(TransportError(e.to_string())), None)),
            }
        }));
        Ok(StreamingResponse { status, headers, body })
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// The client the tests log in as: a native app with a loopback redirect URI.
pub fn config() -> ClientConfig {
    ClientConfig {
        client_name: "core test".into(),
        redirect_uri: "http://127.0.0.1:1/callback".into(),
        application_type: Some("native".into()),
        pre_registered: None,
        metadata_document_url: None,
    }
}

/// Every step a login reports, in order.
#[derive(Default)]
pub struct Steps(pub RefCell<Vec<Step>>);

impl Observer for Steps {
    fn step(&self, step: &Step) {
        self.0.borrow_mut().push(step.clone());
    }
}

/// Deterministic "randomness" for PKCE and state (the core takes it from the caller).
pub fn counter_random() -> impl FnMut(&mut [u8]) {
    let mut n = 0u8;
    move |buf: &mut [u8]| {
        n = n.wrapping_add(1);
        buf.iter_mut().enumerate().for_each(|(i, b)| *b = n.wrapping_add(i as u8));
    }
}
