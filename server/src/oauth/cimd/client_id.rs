//! Which `client_id` strings name a Client ID Metadata Document
//! (draft-ietf-oauth-client-id-metadata-document §3): an `https` URL with a path, no fragment, no
//! user name or password, no `.` or `..` segments. Registered client ids are random tokens, so
//! anything that starts like a URL is taken as a document URL and must pass every rule.

use url::Url;

/// Longest document URL we accept; it is stored as a client id and shown on pages.
const MAX_URL_LEN: usize = 2048;

/// How a `client_id` is to be looked up.
#[derive(Debug, PartialEq, Eq)]
pub enum ClientIdKind {
    /// An id this server issued or was configured with.
    Registered,
    /// A metadata document URL that passed every rule.
    Document(Url),
    /// It looks like a URL but breaks a rule: refuse it, never look it up elsewhere.
    BadDocumentUrl(&'static str),
}

/// Classifies `client_id`. `allow_http` (the insecure test flag) also admits `http` URLs.
pub fn classify(client_id: &str, allow_http: bool) -> ClientIdKind {
    let lower = client_id.get(..8).unwrap_or(client_id).to_ascii_lowercase();
    if !lower.starts_with("https://") && !lower.starts_with("http://") {
        return ClientIdKind::Registered;
    }
    match document_url(client_id, allow_http) {
        Ok(url) => ClientIdKind::Document(url),
        Err(reason) => ClientIdKind::BadDocumentUrl(reason),
    }
}

fn document_url(raw: &str, allow_http: bool) -> Result<Url, &'static str> {
    if raw.len() > MAX_URL_LEN {
        return Err("the client_id URL is too long");
    }
    let url = Url::parse(raw).map_err(|_| "the client_id URL cannot be parsed")?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err("a client_id URL must use https"),
    }
    if raw.contains('#') {
        return Err("a client_id URL must not have a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() || authority(raw).contains('@') {
        return Err("a client_id URL must not contain a user name or password");
    }
    if url.host().is_none() {
        return Err("a client_id URL must name a host");
    }
    let path = url.path();
    if path.is_empty() || path == "/" {
        return Err("a client_id URL must have a path, such as https://example.com/client.json");
    }
    let raw_path = raw_path(raw);
    if raw_path.split('/').any(|s| matches!(s, "." | ".." | "%2e" | "%2E" | "%2e%2e" | "%2E%2E" | ".%2e" | "%2e.")) {
        return Err("a client_id URL must not contain . or .. path segments");
    }
    // The document must name this exact string as its client_id, so it must already be in the
    // form every party will compare: no default port, lower-case scheme and host, and so on.
    if url.as_str() != raw {
        return Err("a client_id URL must be in canonical form (lower-case host, no default port)");
    }
    Ok(url)
}

/// The part between `//` and the first `/`, `?` or `#`.
fn authority(raw: &str) -> &str {
    let rest = raw.split_once("//").map_or("", |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or_default()
}

/// The path as written, before the url crate resolves dot segments.
fn raw_path(raw: &str) -> &str {
    let rest = raw.split_once("//").map_or("", |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(id: &str) -> bool {
        matches!(classify(id, false), ClientIdKind::BadDocumentUrl(_))
    }

    #[test]
    fn recognises_document_urls() {
        let ok = classify("https://app.example.com/oauth/client.json", false);
        assert!(matches!(ok, ClientIdKind::Document(u) if u.as_str() == "https://app.example.com/oauth/client.json"));
        assert!(matches!(classify("https://app.example.com:8443/c?v=1", false), ClientIdKind::Document(_)));
        assert_eq!(classify("Xq3vGz0bq2l8T0Jf", false), ClientIdKind::Registered);
        assert_eq!(classify("", false), ClientIdKind::Registered);
    }

    #[test]
    fn refuses_urls_that_break_a_rule() {
        assert!(refused("http://app.example.com/client.json"));
        assert!(refused("https://app.example.com"));
        assert!(refused("https://app.example.com/"));
        assert!(refused("https://app.example.com/client.json#frag"));
        assert!(refused("https://app.example.com/client.json#"));
        assert!(refused("https://user:pw@app.example.com/client.json"));
        assert!(refused("https://user@app.example.com/client.json"));
        assert!(refused("https://app.example.com/a/../client.json"));
        assert!(refused("https://app.example.com/./client.json"));
        assert!(refused("https://app.example.com/a/%2e%2e/client.json"));
        assert!(refused("https://APP.example.com/client.json"));
        assert!(refused("https://app.example.com:443/client.json"));
        assert!(refused(&format!("https://app.example.com/{}", "a".repeat(3000))));
        assert!(refused("https:///client.json"));
    }

    #[test]
    fn http_only_with_the_insecure_flag() {
        assert!(matches!(classify("http://127.0.0.1:3000/client.json", true), ClientIdKind::Document(_)));
        assert!(matches!(classify("http://127.0.0.1:3000/client.json", false), ClientIdKind::BadDocumentUrl(_)));
    }
}
