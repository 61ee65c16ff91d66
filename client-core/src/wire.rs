//! Small helpers every step uses: send a request and turn the transport failure into
//! [`CoreError::Unreachable`], parse JSON bodies, read RFC 6749 §5.2 error bodies.

use serde::de::DeserializeOwned;
use shared::oauth::OAuthErrorBody;

use crate::error::CoreError;
use std::future::Future;
use std::pin::Pin;

use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};

pub const FORM: &str = "application/x-www-form-urlencoded";
pub const JSON: &str = "application/json";

type Sending<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + 'a>>;

/// An [`HttpClient`]'s `send`, type-erased: the OAuth steps then share one copy of
/// [`send`] whatever the client (the SPA has two: plain and recording).
pub(crate) trait SendBoxed {
    fn send_boxed(&self, req: HttpRequest) -> Sending<'_>;
}

impl<H: HttpClient> SendBoxed for H {
    fn send_boxed(&self, req: HttpRequest) -> Sending<'_> {
        Box::pin(self.send(req))
    }
}

pub(crate) async fn send(http: &dyn SendBoxed, what: &str, req: HttpRequest) -> Result<HttpResponse, CoreError> {
    let (method, url) = (req.method.as_str().to_owned(), req.url.clone());
    http.send_boxed(req).await.map_err(|cause| CoreError::Unreachable { what: what.to_owned(), method, url, cause })
}

/// Parses a JSON body. Through `from_str` (after a UTF-8 check), never `from_slice`: the SPA
/// parses its stored JSON from strings, and a second reader type would put a second copy of
/// serde_json's parser into the wasm.
pub(crate) fn parse<T: DeserializeOwned>(what: &str, url: &str, res: &HttpResponse) -> Result<T, CoreError> {
    let text = std::str::from_utf8(&res.body).map_err(|_| "the body is not UTF-8 text".to_owned());
    text.and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string())).map_err(|reason| CoreError::Invalid {
        what: what.to_owned(),
        url: url.to_owned(),
        reason,
    })
}

pub(crate) fn oauth_error(action: &str, res: &HttpResponse) -> Option<CoreError> {
    let body: OAuthErrorBody = serde_json::from_str(std::str::from_utf8(&res.body).ok()?).ok()?;
    Some(CoreError::OAuth { action: action.to_owned(), error: body.error, description: body.error_description })
}

pub(crate) fn status_error(what: &str, method: &str, url: &str, expected: &str, res: &HttpResponse) -> CoreError {
    CoreError::Status {
        what: what.to_owned(),
        method: method.to_owned(),
        url: url.to_owned(),
        expected: expected.to_owned(),
        got: res.status,
        detail: Some(excerpt(&res.text())).filter(|d| !d.is_empty()),
    }
}

/// Shortens a body for an error sentence.
#[must_use]
pub fn excerpt(body: &str) -> String {
    const MAX: usize = 200;
    let trimmed = body.trim();
    match trimmed.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    shared::form::encode_pairs(pairs.iter().copied())
}
