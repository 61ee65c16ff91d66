//! Fetching a metadata document without becoming an SSRF tool: the host is resolved here and
//! every address vetted, the connection is pinned to the vetted address (so a second DNS answer
//! cannot swap in an internal one), no proxy and no redirects are used, time and size are capped,
//! and only JSON is accepted.
//!
//! Redirects are refused rather than followed: the document must name its own URL as
//! `client_id`, so a document served from elsewhere would be refused anyway, and every hop would
//! be one more address to vet.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use http::{header, HeaderMap, StatusCode};
use url::{Host, Url};

use super::{address, refused};
use crate::error::Error;

/// Limits of one fetch.
#[derive(Clone, Copy, Debug)]
pub struct FetchPolicy {
    /// DEVELOPMENT AND TESTS ONLY: allow `http` URLs and loopback addresses.
    pub allow_insecure_loopback: bool,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub max_bytes: usize,
}

impl FetchPolicy {
    pub fn new(allow_insecure_loopback: bool) -> Self {
        Self {
            allow_insecure_loopback,
            connect_timeout: Duration::from_secs(3),
            total_timeout: Duration::from_secs(5),
            max_bytes: 5 * 1024,
        }
    }
}

/// A document body and the response headers that say how long it may be cached.
pub struct Fetched {
    pub body: Vec<u8>,
    pub headers: HeaderMap,
}

/// GETs `url` under `policy`. Every failure is an `invalid_client` error saying what went wrong.
pub async fn fetch(url: &Url, policy: FetchPolicy) -> Result<Fetched, Error> {
    match tokio::time::timeout(policy.total_timeout, fetch_unbounded(url, policy)).await {
        Ok(result) => result,
        Err(_) => Err(refused("fetching the client metadata document timed out")),
    }
}

async fn fetch_unbounded(url: &Url, policy: FetchPolicy) -> Result<Fetched, Error> {
    let port = url.port_or_known_default().ok_or_else(|| refused("the client_id URL has no port"))?;
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(policy.connect_timeout)
        .timeout(policy.total_timeout)
        .https_only(!policy.allow_insecure_loopback)
        .user_agent(concat!("mcp-auth-server/", env!("CARGO_PKG_VERSION"), " (client metadata fetcher)"));
    match url.host() {
        Some(Host::Domain(domain)) => {
            let ip = resolve_vetted(domain, port, policy).await?;
            builder = builder.resolve(domain, SocketAddr::new(ip, port));
        }
        Some(Host::Ipv4(ip)) => vet(IpAddr::V4(ip), policy)?,
        Some(Host::Ipv6(ip)) => vet(IpAddr::V6(ip), policy)?,
        None => return Err(refused("the client_id URL has no host")),
    }
    let http = builder.build().map_err(|e| Error::Internal(format!("metadata fetcher: {e}")))?;
    let mut resp = http
        .get(url.as_str())
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| refused(&describe(&e, "could not be fetched")))?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(refused(&format!(
            "the client metadata document URL answered {status}; redirects are not followed"
        )));
    }
    if status != StatusCode::OK {
        return Err(refused(&format!("the client metadata document URL answered {status}")));
    }
    if !is_json(resp.headers()) {
        return Err(refused("the client metadata document is not served as JSON (application/json)"));
    }
    // Content-Length is only a hint: a lying or absent one is caught while reading.
    if resp.content_length().is_some_and(|n| n > policy.max_bytes as u64) {
        return Err(too_large(policy));
    }
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| refused(&describe(&e, "could not be read")))? {
        if body.len() + chunk.len() > policy.max_bytes {
            return Err(too_large(policy));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { body, headers })
}

/// Resolves `domain` and returns an address to pin, if every answer is allowed.
async fn resolve_vetted(domain: &str, port: u16, policy: FetchPolicy) -> Result<IpAddr, Error> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((domain, port))
        .await
        .map_err(|_| refused(&format!("the host {domain} of the client_id URL could not be resolved")))?
        .collect();
    // One internal answer is enough to refuse: the name is pointed at something it should not be.
    for a in &addrs {
        vet(a.ip(), policy)?;
    }
    addrs.first().map(SocketAddr::ip).ok_or_else(|| refused(&format!("the host {domain} has no address")))
}

fn vet(ip: IpAddr, policy: FetchPolicy) -> Result<(), Error> {
    if address::is_public(ip) || (policy.allow_insecure_loopback && address::is_loopback(ip)) {
        return Ok(());
    }
    Err(refused(&format!(
        "the client_id URL leads to {ip}, a private or reserved address this server will not contact"
    )))
}

/// `application/json` or any `application/<something>+json`, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn too_large(policy: FetchPolicy) -> Error {
    refused(&format!("the client metadata document is larger than {} bytes", policy.max_bytes))
}

fn describe(e: &reqwest::Error, what: &str) -> String {
    let why = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    format!("the client metadata document {what} ({why})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let with = |ct: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, ct.parse().expect("header value"));
            is_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/oauth-client+json"));
        assert!(!with("text/html"));
        assert!(!with("text/json+html"));
        assert!(!with("application/jsonp"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
