//! The record of every HTTP exchange, for `--trace` in the CLI and the expandable steps of the
//! SPA's timeline. Secrets never enter the record: form and JSON bodies have their secret fields
//! replaced ([`SECRET_FIELDS`]), the `Authorization` header keeps only its scheme, and only the
//! headers that explain the flow are kept ([`KEPT_HEADERS`]).

use std::cell::RefCell;

use serde::Serialize;

use crate::http::{HttpClient, HttpRequest, HttpResponse, StreamingResponse, TransportError};

/// Body fields whose values are credentials (form fields or JSON keys, at any depth).
pub const SECRET_FIELDS: &[&str] =
    &["code", "code_verifier", "access_token", "refresh_token", "client_secret", "password", "token", "id_token"];
/// Headers worth showing; everything else is dropped from the record.
pub const KEPT_HEADERS: &[&str] =
    &["www-authenticate", "location", "content-type", "mcp-session-id", "authorization", "mcp-protocol-version"];
pub const REDACTED: &str = "[redacted]";

/// One request and its answer (or the transport failure), with secrets redacted.
/// (`Deserialize` is in `stored`: one shared field reader instead of a derived visitor.)
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    /// `None` when no answer arrived.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub request_headers: Vec<(String, String)>,
    #[serde(default)]
    pub request_body: Option<String>,
    #[serde(default)]
    pub response_headers: Vec<(String, String)>,
    #[serde(default)]
    pub response_body: Option<String>,
    /// Why no answer arrived.
    #[serde(default)]
    pub error: Option<String>,
}

impl Exchange {
    #[must_use]
    pub fn new(req: &HttpRequest, res: Result<&HttpResponse, &TransportError>) -> Self {
        Self::request(req).answer(res)
    }

    /// The request's half, taken before the request is sent (so it need not be cloned).
    fn request(req: &HttpRequest) -> Self {
        let content_type = req.header_value("content-type").unwrap_or_default();
        Self {
            method: req.method.as_str().to_owned(),
            url: redact_url(&req.url),
            request_headers: kept_headers(&req.headers),
            request_body: req.body.as_deref().map(|b| redact_body(content_type, &String::from_utf8_lossy(b))),
            ..Self::default()
        }
    }

    fn answer(mut self, res: Result<&HttpResponse, &TransportError>) -> Self {
        match res {
            Ok(r) => {
                self.status = Some(r.status);
                self.response_headers = kept_headers(&r.headers);
                self.response_body =
                    (!r.body.is_empty()).then(|| redact_body(r.content_type(), &String::from_utf8_lossy(&r.body)));
            }
            Err(e) => self.error = Some(e.to_string()),
        }
        self
    }

    /// `"POST https://as/token → 200"`.
    #[must_use]
    pub fn summary(&self) -> String {
        match (self.status, &self.error) {
            (Some(status), _) => format!("{} {} → {status}", self.method, self.url),
            (None, Some(e)) => format!("{} {} → no answer ({e})", self.method, self.url),
            (None, None) => format!("{} {}", self.method, self.url),
        }
    }

    /// A multi-line text rendering (the CLI's `--trace`).
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = format!("> {} {}\n", self.method, self.url);
        for (n, v) in &self.request_headers {
            out.push_str(&format!("> {n}: {v}\n"));
        }
        if let Some(b) = &self.request_body {
            out.push_str(&format!("> {b}\n"));
        }
        match (self.status, &self.error) {
            (Some(s), _) => out.push_str(&format!("< {s}\n")),
            (None, Some(e)) => out.push_str(&format!("< (no answer: {e})\n")),
            (None, None) => {}
        }
        for (n, v) in &self.response_headers {
            out.push_str(&format!("< {n}: {v}\n"));
        }
        if let Some(b) = &self.response_body {
            out.push_str(&format!("< {b}\n"));
        }
        out
    }
}

fn kept_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    for (n, v) in headers {
        if KEPT_HEADERS.iter().any(|k| n.eq_ignore_ascii_case(k)) {
            let n = n.to_ascii_lowercase();
            let v = if n == "authorization" { redact_authorization(v) } else { v.clone() };
            kept.push((n, v));
        }
    }
    kept
}

/// Keeps the scheme (`Bearer`, `Basic`), never the credential.
#[must_use]
pub fn redact_authorization(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} {REDACTED}"),
        None => REDACTED.to_owned(),
    }
}

fn is_secret(name: &str) -> bool {
    SECRET_FIELDS.contains(&name)
}

/// A callback or authorization URL may carry a code in its query.
#[must_use]
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = shared::urls::Url::parse(raw) else { return raw.to_owned() };
    if url.query().is_none() || !url.query_pairs().any(|(k, _)| is_secret(&k)) {
        return raw.to_owned();
    }
    // The query rewritten straight from the pairs read, no list of owned pairs in between.
    let mut query = String::new();
    for (k, v) in url.query_pairs() {
        shared::form::append_pair(&mut query, &k, if is_secret(&k) { REDACTED } else { &v });
    }
    url.set_query(Some(&query));
    url.to_string()
}

/// Redacts a body by its content type: form fields, JSON keys at any depth (also inside
/// server-sent events); any other body is kept as it is.
#[must_use]
pub fn redact_body(content_type: &str, body: &str) -> String {
    let ct = content_type.to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        let mut out = String::new();
        for (k, v) in shared::form::parse(body) {
            shared::form::append_pair(&mut out, &k, if is_secret(&k) { REDACTED } else { &v });
        }
        return out;
    }
    if ct.starts_with("text/event-stream") {
        // Line by line into one string (the lines joined by `\n`), no list of lines in between.
        let mut out = String::new();
        for (i, line) in body.lines().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            match line.strip_prefix("data:") {
                Some(data) => {
                    out.push_str("data: ");
                    out.push_str(&redact_json_text(data.trim()));
                }
                None => out.push_str(line),
            }
        }
        return out;
    }
    redact_json_text(body)
}

fn redact_json_text(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut v) => {
            redact_json(&mut v);
            serde_json::to_string(&v).unwrap_or_else(|_| text.to_owned())
        }
        Err(_) => text.to_owned(),
    }
}

fn redact_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, inner) in map.iter_mut() {
                if is_secret(k) && !inner.is_null() {
                    *inner = serde_json::Value::String(REDACTED.to_owned());
                } else {
                    redact_json(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// An [`HttpClient`] that records every exchange it forwards; the flow drains the record per
/// step ([`Recorder::take`]).
pub struct Recorder<H> {
    inner: H,
    log: RefCell<Vec<Exchange>>,
}

impl<H: HttpClient> Recorder<H> {
    pub fn new(inner: H) -> Self {
        Self { inner, log: RefCell::new(Vec::new()) }
    }

    /// The exchanges since the last call.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.log.borrow_mut())
    }
}

impl<H: HttpClient> HttpClient for Recorder<H> {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let ex = Exchange::request(&req);
        let res = self.inner.send(req).await;
        self.log.borrow_mut().push(ex.answer(res.as_ref()));
        res
    }
    async fn open(&self, req: HttpRequest) -> Result<StreamingResponse, TransportError> {
        let ex = Exchange::request(&req);
        let res = self.inner.open(req).await;
        let head = res.as_ref().map(StreamingResponse::head).map_err(Clone::clone);
        self.log.borrow_mut().push(ex.answer(head.as_ref()));
        res
    }
    async fn sleep(&self, ms: u64) {
        self.inner.sleep(ms).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_forms_json_sse_urls_and_headers() {
        let form = redact_body(
            "application/x-www-form-urlencoded",
            "grant_type=authorization_code&code=C1&code_verifier=V1&client_secret=S1&password=P1&client_id=id",
        );
        assert_eq!(
            form,
            "grant_type=authorization_code&code=%5Bredacted%5D&code_verifier=%5Bredacted%5D&client_secret=%5Bredacted%5D\
             &password=%5Bredacted%5D&client_id=id"
        );
        let json = redact_body(
            "application/json",
            r#"{"access_token":"A","refresh_token":"R","nested":{"token":"T"},"scope":"user"}"#,
        );
        assert!(!json.contains("\"A\"") && !json.contains("\"R\"") && !json.contains("\"T\"") && json.contains("user"));
        let sse = redact_body("text/event-stream", "event: message\ndata: {\"access_token\":\"A\"}");
        assert!(!sse.contains("\"A\""), "{sse}");
        assert_eq!(redact_url("http://h/cb?code=C&state=s"), "http://h/cb?code=%5Bredacted%5D&state=s");
        assert_eq!(redact_authorization("Bearer abc.def"), "Bearer [redacted]");
        let req = HttpRequest::get("http://h/").header("Authorization", "Basic Zm9vOmJhcg==").header("x-other", "1");
        let ex = Exchange::new(&req, Err(&TransportError("refused".into())));
        assert_eq!(ex.request_headers, [("authorization".to_owned(), "Basic [redacted]".to_owned())]);
    }
}
