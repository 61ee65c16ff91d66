//! Fetching a metadata document without becoming an SSRF tool: the host is resolved here and
//! every address vetted, the connection is pinned to the vetted address (so a second DNS answer
//! cannot swap in an internal one), no proxy and no redirects are used, time and size are capped,
//! and only JSON is accepted.
//!
//! Redirects are refused rather than followed: the document must name its own URL as
//! `client_id`, so a document served from elsewhere would be refused anyway, and every hop would
//! be one more address to vet.
//!
//! Whoever sends the authorization request sees the refusal, so failures to reach a vetted
//! address (resolution, a refused address, no connection) all get one generic description: otherwise the page would tell which names resolve and to which internal
//! addresses. The detail goes to the log.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
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

/// What the user is told when the document could not be reached (see the module comment).
pub const UNREACHABLE: &str =
    "the client metadata document could not be retrieved from its URL (this server only contacts public addresses)";

/// GETs `url` under `policy`. Every failure is an `invalid_client` error saying what went wrong,
/// in the generic [`UNREACHABLE`] words for anything about resolving, vetting or connecting.
pub async fn fetch(url: &Url, policy: FetchPolicy) -> Result<Fetched, Error> {
    let vetted = AtomicBool::new(false);
    match tokio::time::timeout(policy.total_timeout, fetch_unbounded(url, policy, &vetted)).await {
        Ok(result) => result,
        Err(_) if vetted.load(Ordering::Relaxed) => Err(refused("fetching the client metadata document timed out")),
        Err(_) => Err(unreachable(url, "resolving the host timed out")),
    }
}

/// The generic refusal, with `detail` logged for the operator.
fn unreachable(url: &Url, detail: &str) -> Error {
    tracing::info!(client_id = %crate::store::clip(url.as_str()), detail, "client metadata document unreachable");
    refused(UNREACHABLE)
}

async fn fetch_unbounded(url: &Url, policy: FetchPolicy, vetted: &AtomicBool) -> Result<Fetched, Error> {
    let port = url.port_or_known_default().ok_or_else(|| refused("the client_id URL has no port"))?;
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(policy.connect_timeout)
        .timeout(policy.total_timeout)
        .https_only(!policy.allow_insecure_loopback)
        .user_agent(concat!("mcp-auth-server/", env!("CARGO_PKG_VERSION"), " (client metadata fetcher)"));
    let refuse = |detail: String| unreachable(url, &detail);
    match url.host() {
        Some(Host::Domain(domain)) => {
            let ip = resolve_vetted(domain, port, policy).await.map_err(refuse)?;
            builder = builder.resolve(domain, SocketAddr::new(ip, port));
        }
        Some(Host::Ipv4(ip)) => vet(IpAddr::V4(ip), policy).map_err(refuse)?,
        Some(Host::Ipv6(ip)) => vet(IpAddr::V6(ip), policy).map_err(refuse)?,
        None => return Err(refused("the client_id URL has no host")),
    }
    vetted.store(true, Ordering::Relaxed);
    let http = builder.build().map_err(|e| Error::Internal(format!("metadata fetcher: {e}")))?;
    let sent = http.get(url.as_str()).header(header::ACCEPT, "application/json").send().await;
    let mut resp = match sent {
        Ok(resp) => resp,
        Err(e) if e.is_timeout() => return Err(refused("fetching the client metadata document timed out")),
        Err(e) => return Err(unreachable(url, &describe(&e, "could not be fetched"))),
    };
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

/// Resolves `domain` and returns an address to pin, if every answer is allowed; otherwise why
/// not, for the log only.
async fn resolve_vetted(domain: &str, port: u16, policy: FetchPolicy) -> Result<IpAddr, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((domain, port))
        .await
        .map_err(|e| format!("the host {domain} could not be resolved: {e}"))?
        .collect();
    // One internal answer is enough to refuse: the name is pointed at something it should not be.
    for a in &addrs {
        vet(a.ip(), policy).map_err(|why| format!("the host {domain} {why}"))?;
    }
    addrs.first().map(SocketAddr::ip).ok_or_else(|| format!("the host {domain} has no address"))
}

fn vet(ip: IpAddr, policy: FetchPolicy) -> Result<(), String> {
    if address::is_public(ip) || (policy.allow_insecure_loopback && address::is_loopback(ip)) {
        return Ok(());
    }
    Err(format!("leads to {ip}, a private or reserved address"))
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
