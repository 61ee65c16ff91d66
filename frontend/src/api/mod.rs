//! HTTP access to the authorization server (`oauth`) and the MCP server (`mcp`). Only the
//! modules under `api/` call `fetch`; the rest of the client gets typed values or a
//! [`ClientError`] phrased for the user. No module here logs or displays tokens.

pub mod mcp;
pub mod oauth;

use gloo_net::http::RequestBuilder;

use crate::error::ClientError;

/// What the client keeps of an HTTP response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub status_text: String,
    pub content_type: String,
    pub www_authenticate: Option<String>,
    pub session_id: Option<String>,
    pub body: String,
}

impl Reply {
    /// `"401 Unauthorized"`, or just `"401"` when the server sent no reason phrase.
    #[must_use]
    pub fn status_line(&self) -> String {
        if self.status_text.is_empty() {
            self.status.to_string()
        } else {
            format!("{} {}", self.status, self.status_text)
        }
    }

    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A request about to be sent, with the words used to describe it in errors.
pub struct Outgoing<'a> {
    pub target: &'static str,
    pub method: &'static str,
    pub url: &'a str,
}

/// Sends a request (with an optional text body) and reads the whole response body.
pub async fn send(out: &Outgoing<'_>, builder: RequestBuilder, body: Option<String>) -> Result<Reply, ClientError> {
    let network = || ClientError::Network { target: out.target, method: out.method, url: out.url.to_owned() };
    let request = match body {
        Some(text) => builder.body(text),
        None => builder.build(),
    }
    .map_err(|e| ClientError::message(format!("Could not build the {} request to {} ({e}).", out.method, out.url)))?;
    let response = request.send().await.map_err(|_| network())?;
    let headers = response.headers();
    let body = response.text().await.map_err(|_| network())?;
    Ok(Reply {
        status: response.status(),
        status_text: response.status_text(),
        content_type: headers.get("content-type").unwrap_or_default(),
        www_authenticate: headers.get("www-authenticate"),
        session_id: headers.get(shared::mcp::SESSION_HEADER),
        body,
    })
}

/// Shortens a response body for an error sentence.
#[must_use]
pub fn excerpt(body: &str) -> String {
    const MAX: usize = 200;
    let trimmed = body.trim();
    match trimmed.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}
