//! The CLI's [`HttpClient`]: reqwest with rustls, no redirects followed (the core must see every
//! 3xx: an authorization server's redirect carries the code), header names in lowercase.

use std::time::Duration;

use client_core::http::{BodyStream, HttpClient, HttpRequest, HttpResponse, Method, StreamingResponse, TransportError};

/// A whole exchange (`send`), or a stream's response head (`open`), must finish within this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// An open stream may stay quiet this long between chunks: a long tool call answers on its
/// stream when it is done, and servers send keep-alive comments well within it.
const STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

pub struct ReqwestHttp {
    client: reqwest::Client,
    request_timeout: Duration,
    idle_timeout: Duration,
}

impl ReqwestHttp {
    pub fn new() -> Result<Self, TransportError> {
        Self::with_timeouts(REQUEST_TIMEOUT, STREAM_IDLE_TIMEOUT)
    }

    /// No client-wide total timeout: it would also cut a stream that is still answering.
    fn with_timeouts(request_timeout: Duration, idle_timeout: Duration) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("mcp-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError(format!("could not build the HTTP client: {e}")))?;
        Ok(Self { client, request_timeout, idle_timeout })
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
        let exchange = async {
            let resp = self.start(req).await?;
            let (status, headers) = head(&resp);
            let body = resp.bytes().await.map_err(|e| TransportError(describe(&url, &e)))?.to_vec();
            Ok(HttpResponse { status, headers, body })
        };
        tokio::time::timeout(self.request_timeout, exchange).await.unwrap_or_else(|_| Err(timed_out(&url)))
    }

    /// The body as reqwest's chunks, read as they arrive (an SSE stream that stays open): the
    /// head must come within the request timeout, then each chunk within the idle timeout.
    async fn open(&self, req: HttpRequest) -> Result<StreamingResponse, TransportError> {
        let url = req.url.clone();
        let resp = match tokio::time::timeout(self.request_timeout, self.start(req)).await {
            Ok(resp) => resp?,
            Err(_) => return Err(timed_out(&url)),
        };
        let (status, headers) = head(&resp);
        let idle = self.idle_timeout;
        let body: BodyStream = Box::pin(futures::stream::unfold(Some(resp), move |resp| {
            let url = url.clone();
            async move {
                let mut resp = resp?;
                match tokio::time::timeout(idle, resp.chunk()).await {
                    Ok(Ok(Some(chunk))) => Some((Ok(chunk.to_vec()), Some(resp))),
                    Ok(Ok(None)) => None,
                    Ok(Err(e)) => Some((Err(TransportError(describe(&url, &e))), None)),
                    Err(_) => Some((Err(timed_out(&url)), None)),
                }
            }
        }));
        Ok(StreamingResponse { status, headers, body })
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn timed_out(url: &str) -> TransportError {
    TransportError(format!("timed out: {url}"))
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use client_core::http::{HttpClient, HttpRequest};
    use futures::StreamExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::ReqwestHttp;

    const SHORT: Duration = Duration::from_millis(200);
    const LONG: Duration = Duration::from_secs(10);

    /// A server on 127.0.0.1:0 that answers one request with an SSE head at once (unless
    /// `head_late`), then one event after `quiet`, then ends the stream.
    async fn sse_server(quiet: Duration, head_late: bool) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.expect("accept");
            let mut buf = vec![0u8; 4096];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = sock.read(&mut buf).await.expect("read");
                assert!(n > 0, "client hung up before its request ended");
                seen.extend_from_slice(&buf[..n]);
            }
            if head_late {
                tokio::time::sleep(quiet).await;
            }
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
            let _ = sock.write_all(head.as_bytes()).await;
            if !head_late {
                tokio::time::sleep(quiet).await;
            }
            let event = "data: done\n\n";
            let _ = sock.write_all(format!("{:x}\r\n{event}\r\n0\r\n\r\n", event.len()).as_bytes()).await;
        });
        format!("http://{addr}/mcp")
    }

    async fn read_all(http: &ReqwestHttp, url: &str) -> Result<String, String> {
        let mut res = http.open(HttpRequest::get(url)).await.map_err(|e| e.0)?;
        let mut text = Vec::new();
        while let Some(chunk) = res.body.next().await {
            text.extend(chunk.map_err(|e| e.0)?);
        }
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    #[tokio::test]
    async fn a_stream_may_answer_after_the_request_timeout() {
        let http = ReqwestHttp::with_timeouts(SHORT, LONG).expect("client");
        let url = sse_server(SHORT * 4, false).await;
        assert_eq!(read_all(&http, &url).await, Ok("data: done\n\n".to_owned()));
    }

    #[tokio::test]
    async fn a_stream_quiet_past_the_idle_timeout_is_cut_with_a_clear_error() {
        let http = ReqwestHttp::with_timeouts(LONG, SHORT).expect("client");
        let url = sse_server(LONG, false).await;
        let err = read_all(&http, &url).await.expect_err("the stream stays quiet");
        assert_eq!(err, format!("timed out: {url}"));
    }

    #[tokio::test]
    async fn a_head_later_than_the_request_timeout_is_a_timeout() {
        let http = ReqwestHttp::with_timeouts(SHORT, LONG).expect("client");
        let url = sse_server(LONG, true).await;
        let err = read_all(&http, &url).await.expect_err("no head in time");
        assert_eq!(err, format!("timed out: {url}"));
        let url = sse_server(LONG, true).await;
        let err = http.send(HttpRequest::get(&url)).await.expect_err("no answer in time");
        assert_eq!(err.0, format!("timed out: {url}"));
    }
}
