//! The RFC 8252 §7.3 loopback redirect: a one-shot HTTP listener on `127.0.0.1:0` that waits for
//! the browser's `GET /callback?...`, answers it with a small HTML page and hands back the query.
//! Anything else (favicon, a stray request) gets a 404 and the wait goes on, until the deadline.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::CliError;

/// The authorization response as the browser delivered it.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    /// The raw query string (for the core's `CallbackParams::from_query`).
    pub query: String,
    pub params: Vec<(String, String)>,
}

impl Callback {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    pub async fn bind() -> Result<Self, CliError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| CliError::Other(format!("could not listen on 127.0.0.1: {e}")))?;
        let port = listener.local_addr().map_err(|e| CliError::Other(e.to_string()))?.port();
        Ok(Self { listener, port })
    }

    /// `http://127.0.0.1:<port>/callback` (an IP literal, never `localhost`: RFC 8252 §8.3).
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// Waits for the callback carrying `state`; a callback with another state is answered with an
    /// error page and refused (it is not the response to our request).
    pub async fn wait(&self, state: &str, timeout: Duration) -> Result<Callback, CliError> {
        let accept = async {
            loop {
                let (stream, _) = match self.listener.accept().await {
                    Ok(s) => s,
                    Err(_) => continue,
                };
                if let Some(result) = serve_one(stream, state).await {
                    return result;
                }
            }
        };
        tokio::time::timeout(timeout, accept)
            .await
            .map_err(|_| CliError::Timeout(format!("no authorization response within {} s", timeout.as_secs())))?
    }
}

/// Reads one request; `None` when it was not a callback (keep waiting).
async fn serve_one(mut stream: TcpStream, state: &str) -> Option<Result<Callback, CliError>> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 1024];
    // The request line and headers; a browser sends them at once. Bounded, and time-limited so a
    // silent connection cannot hold the login.
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    });
    if read.await.is_err() {
        return None;
    }
    let text = String::from_utf8_lossy(&buf);
    let target = text.lines().next().and_then(|line| {
        let mut parts = line.split(' ');
        (parts.next() == Some("GET")).then(|| parts.next()).flatten()
    });
    let Some(target) = target.filter(|t| *t == "/callback" || t.starts_with("/callback?")) else {
        respond(&mut stream, "404 Not Found", "Not found", "This is mcp-auth's sign-in listener.").await;
        return None;
    };
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let callback = Callback { query: query.to_owned(), params };
    if callback.get("state") != Some(state) {
        respond(
            &mut stream,
            "400 Bad Request",
            "Sign-in failed",
            "The response does not belong to this sign-in (state mismatch). Try again.",
        )
        .await;
        return Some(Err(CliError::Protocol("the authorization response's state does not match the request".into())));
    }
    if let Some(error) = callback.get("error") {
        let page = if error == "access_denied" {
            "Access was refused. You can close this tab."
        } else {
            "Sign-in failed. You can close this tab."
        };
        respond(&mut stream, "200 OK", "Sign-in failed", page).await;
    } else {
        respond(
            &mut stream,
            "200 OK",
            "Signed in",
            "mcp-auth is signed in. You can close this tab and return to the terminal.",
        )
        .await;
    }
    Some(Ok(callback))
}

async fn respond(stream: &mut TcpStream, status: &str, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    async fn get(port: u16, path: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn returns_the_callback_with_the_right_state_and_ignores_other_paths() {
        let lb = Loopback::bind().await.unwrap();
        let port = lb.port;
        let client = tokio::spawn(async move {
            assert!(get(port, "/favicon.ico").await.starts_with("HTTP/1.1 404"));
            get(port, "/callback?code=abc&state=s1&iss=http%3A%2F%2Fas").await
        });
        let cb = lb.wait("s1", Duration::from_secs(5)).await.unwrap();
        assert_eq!(cb.get("code"), Some("abc"));
        assert_eq!(cb.get("iss"), Some("http://as"));
        assert!(client.await.unwrap().contains("Signed in"));
    }

    #[tokio::test]
    async fn a_wrong_state_is_refused() {
        let lb = Loopback::bind().await.unwrap();
        let port = lb.port;
        tokio::spawn(async move { get(port, "/callback?code=abc&state=other").await });
        let err = lb.wait("s1", Duration::from_secs(5)).await.unwrap_err();
        assert!(err.to_string().contains("state"), "{err}");
    }

    #[tokio::test]
    async fn times_out_clearly() {
        let lb = Loopback::bind().await.unwrap();
        let err = lb.wait("s1", Duration::from_millis(50)).await.unwrap_err();
        assert!(matches!(err, CliError::Timeout(_)), "{err}");
    }
}
