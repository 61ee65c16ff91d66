//! The other side of the CIMD tests: real HTTP servers on 127.0.0.1:0 that serve client metadata
//! documents (and misbehave on request), counting the requests they get.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::document;

/// What the document server answers on one path.
#[derive(Clone)]
pub struct Served {
    pub status: u16,
    pub content_type: &'static str,
    pub cache_control: Option<&'static str>,
    pub body: String,
    pub delay: Duration,
    pub location: Option<String>,
}

impl Served {
    pub fn json(doc: &Value) -> Self {
        Self {
            status: 200,
            content_type: "application/json",
            cache_control: Some("max-age=3600"),
            body: doc.to_string(),
            delay: Duration::ZERO,
            location: None,
        }
    }
}

#[derive(Clone, Default)]
struct Docs {
    served: Arc<Mutex<HashMap<String, Served>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

/// A real HTTP server that serves client metadata documents and counts requests per path.
pub struct DocServer {
    pub base: String,
    docs: Docs,
}

impl DocServer {
    pub async fn start() -> Self {
        let docs = Docs::default();
        let app = axum::Router::new().fallback(answer).with_state(docs.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, docs }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn serve(&self, path: &str, served: Served) {
        self.docs.served.lock().unwrap().insert(path.into(), served);
    }

    /// Serves a valid document naming its own URL; returns that URL (the client id).
    pub fn serve_valid(&self, path: &str, cache_control: Option<&'static str>) -> String {
        let url = self.url(path);
        self.serve(path, Served { cache_control, ..Served::json(&document(&url)) });
        url
    }

    pub fn hits(&self, path: &str) -> usize {
        self.docs.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

async fn answer(State(docs): State<Docs>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    *docs.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let Some(s) = docs.served.lock().unwrap().get(&path).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    tokio::time::sleep(s.delay).await;
    let mut builder = Response::builder().status(s.status).header(header::CONTENT_TYPE, s.content_type);
    if let Some(cc) = s.cache_control {
        builder = builder.header(header::CACHE_CONTROL, cc);
    }
    if let Some(location) = &s.location {
        builder = builder.header(header::LOCATION, location);
    }
    builder.body(Body::from(s.body)).unwrap()
}

/// A raw HTTP/1.1 server whose 200 JSON answer has no Content-Length and never ends: it writes
/// until the reader hangs up.
pub struct EndlessServer {
    pub base: String,
    hung_up: Arc<std::sync::atomic::AtomicBool>,
}

impl EndlessServer {
    /// Whether a reader closed its connection while the document was still being written.
    pub fn reader_hung_up(&self) -> bool {
        self.hung_up.load(std::sync::atomic::Ordering::SeqCst)
    }
}

pub async fn endless_server() -> EndlessServer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hung_up = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = hung_up.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let flag = flag.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tcp.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"a\":\"";
                if tcp.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = [b'x'; 1024];
                while tcp.write_all(&chunk).await.is_ok() {}
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            });
        }
    });
    EndlessServer { base, hung_up }
}
