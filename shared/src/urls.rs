//! Route paths (one place for both sides) and the URL rules of RFC 8414, RFC 9728 and RFC 8707.

use crate::challenge::BearerChallenge;
use crate::oauth::{AuthorizationServerMetadata, ProtectedResourceMetadata};

mod parsed;

pub use parsed::{Host, ParseError, Url};

pub const AS_METADATA: &str = "/.well-known/oauth-authorization-server";
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
pub const PROTECTED_RESOURCE_METADATA: &str = "/.well-known/oauth-protected-resource";
pub const AUTHORIZE: &str = "/authorize";
pub const AUTHORIZE_LOGIN: &str = "/authorize/login";
pub const AUTHORIZE_CONSENT: &str = "/authorize/consent";
pub const TOKEN: &str = "/token";
pub const REGISTER: &str = "/register";
pub const INTROSPECT: &str = "/introspect";
pub const REVOKE: &str = "/revoke";
pub const JWKS: &str = "/jwks";
/// The revocation feed a resource server deployed apart from the AS polls (our extension).
pub const REVOCATIONS: &str = "/revocations";
pub const MCP: &str = "/mcp";
/// The SPA's redirect target, relative to its origin.
pub const SPA_CALLBACK: &str = "/callback";

/// Why a URL was refused as a resource identifier or redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    NotAbsolute,
    BadScheme,
    HasFragment,
    HttpNotLoopback,
    HasCredentials,
    /// A native app's private-use scheme that is not a reverse domain name (RFC 8252 §7.1).
    SchemeNotReverseDomain,
    /// Whitespace, a control character or a backslash, which URL parsers drop or rewrite.
    UnsafeCharacters,
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotAbsolute => "must be an absolute URL",
            Self::BadScheme => "must use https (or http on a loopback host)",
            Self::HasFragment => "must not contain a fragment",
            Self::HttpNotLoopback => "http is only allowed for loopback hosts (127.0.0.1, [::1], localhost)",
            Self::HasCredentials => "must not contain user information",
            Self::SchemeNotReverseDomain => {
                "must use https, http on a loopback host, or a private-use scheme that is a reverse domain name \
                 containing a dot, like com.example.app:/callback"
            }
            Self::UnsafeCharacters => "must not contain whitespace, control characters or backslashes",
        })
    }
}

/// True for `localhost`, `127.0.0.0/8` and `[::1]`.
#[must_use]
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks a redirect URI for registration: absolute http(s), no fragment, no userinfo, and
/// plain http only on loopback (OAuth 2.1 §2.3.1, RFC 8252 §7.3).
/// Schemes an operator may never allow as private-use redirect schemes: they are the web's own,
/// or run or read something in the browser.
pub const NEVER_PRIVATE_USE: &[&str] =
    &["http", "https", "javascript", "data", "file", "vbscript", "about", "blob", "ws", "wss", "ftp", "filesystem"];

/// Whether `scheme` is a well-formed URI scheme (RFC 3986 §3.1) that may be allow-listed.
#[must_use]
pub fn is_allowable_private_use_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !NEVER_PRIVATE_USE.iter().any(|n| n.eq_ignore_ascii_case(scheme))
}

/// A redirect URI with a private-use scheme the operator allow-listed by exact name (e.g.
/// Cursor's `cursor`, which is not a reverse domain name as RFC 8252 §7.1 asks), for any client:
/// no fragment, no user information. PKCE, mandatory for every client, is what keeps a code
/// sent to such a scheme useless to another app that claims it.
pub fn validate_allow_listed_private_use(raw: &str, allowed: &[String]) -> Result<Url, UrlError> {
    if raw.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err(UrlError::UnsafeCharacters);
    }
    let url = Url::parse(raw).map_err(|_| UrlError::NotAbsolute)?;
    let listed = allowed.iter().any(|s| s.eq_ignore_ascii_case(url.scheme()));
    if !listed || !is_allowable_private_use_scheme(url.scheme()) {
        return Err(UrlError::SchemeNotReverseDomain);
    }
    if url.fragment().is_some() {
        return Err(UrlError::HasFragment);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::HasCredentials);
    }
    Ok(url)
}

pub fn validate_redirect_uri(raw: &str) -> Result<Url, UrlError> {
    let url = Url::parse(raw).map_err(|_| UrlError::NotAbsolute)?;
    web_url_rules(&url)?;
    Ok(url)
}

/// Checks a native app's redirect URI (RFC 8252 §7): the web rules above (claimed https, or
/// loopback http on any port), or a private-use scheme named after a reverse domain, which must
/// contain a dot (§7.1) so it cannot be a generic scheme like `javascript:` or `myapp:`.
pub fn validate_native_redirect_uri(raw: &str) -> Result<Url, UrlError> {
    let url = Url::parse(raw).map_err(|_| UrlError::NotAbsolute)?;
    match url.scheme() {
        "https" | "http" => web_url_rules(&url)?,
        scheme if scheme.contains('.') && !scheme.starts_with('.') && !scheme.ends_with('.') => {
            if url.fragment().is_some() {
                return Err(UrlError::HasFragment);
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(UrlError::HasCredentials);
            }
        }
        _ => return Err(UrlError::SchemeNotReverseDomain),
    }
    Ok(url)
}

/// Checks a URL the client learned from the network (a metadata document, a `WWW-Authenticate`
/// challenge) before it fetches it or sends the browser there: https, or http on a loopback host,
/// and nothing else. A `javascript:` or `data:` "authorization endpoint" handed to
/// `location.assign` would run the sender's script in the client's origin; plain http to another
/// host would carry codes and tokens in the clear. Whitespace, control characters and backslashes
/// are refused rather than normalised: parsers strip or rewrite them (`" javascript:"`,
/// `"java\tscript:"`, `https:\\host`), and the raw string is what later code passes on.
pub fn validate_network_url(raw: &str) -> Result<Url, UrlError> {
    if raw.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return Err(UrlError::UnsafeCharacters);
    }
    let url = Url::parse(raw).map_err(|_| UrlError::NotAbsolute)?;
    web_url_rules(&url)?;
    Ok(url)
}

/// A URL that [`validate_network_url`] refused, with the field that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedUrl {
    pub field: String,
    pub url: String,
    pub reason: UrlError,
}

impl std::fmt::Display for RefusedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "its {} \"{}\" is refused: {}", self.field, self.url, self.reason)
    }
}

/// A document received from the network that names URLs the client goes on to fetch or
/// navigate to. The client checks every one as it parses the document, so no later step can
/// use one unchecked.
pub trait NetworkUrls {
    /// Every URL in the document, with the name of its field (`authorization_servers[0]`).
    fn network_urls(&self) -> Vec<(String, &str)>;

    /// The first URL that [`validate_network_url`] refuses, if any.
    fn check_network_urls(&self) -> Result<(), RefusedUrl> {
        for (field, url) in self.network_urls() {
            validate_network_url(url).map_err(|reason| RefusedUrl { field, url: url.to_owned(), reason })?;
        }
        Ok(())
    }
}

impl NetworkUrls for ProtectedResourceMetadata {
    fn network_urls(&self) -> Vec<(String, &str)> {
        let servers = self.authorization_servers.iter().enumerate();
        std::iter::once(("resource".to_owned(), self.resource.as_str()))
            .chain(servers.map(|(i, s)| (format!("authorization_servers[{i}]"), s.as_str())))
            .collect()
    }
}

impl NetworkUrls for AuthorizationServerMetadata {
    fn network_urls(&self) -> Vec<(String, &str)> {
        let optional = [
            ("registration_endpoint", &self.registration_endpoint),
            ("introspection_endpoint", &self.introspection_endpoint),
            ("revocation_endpoint", &self.revocation_endpoint),
            ("jwks_uri", &self.jwks_uri),
        ];
        [
            ("issuer", self.issuer.as_str()),
            ("authorization_endpoint", self.authorization_endpoint.as_str()),
            ("token_endpoint", self.token_endpoint.as_str()),
        ]
        .into_iter()
        .chain(optional.into_iter().filter_map(|(name, url)| Some((name, url.as_deref()?))))
        .map(|(name, url)| (name.to_owned(), url))
        .collect()
    }
}

impl NetworkUrls for BearerChallenge {
    fn network_urls(&self) -> Vec<(String, &str)> {
        self.resource_metadata.iter().map(|url| ("resource_metadata".to_owned(), url.as_str())).collect()
    }
}

fn web_url_rules(url: &Url) -> Result<(), UrlError> {
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(url) => {}
        "http" => return Err(UrlError::HttpNotLoopback),
        _ => return Err(UrlError::BadScheme),
    }
    if url.fragment().is_some() {
        return Err(UrlError::HasFragment);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::HasCredentials);
    }
    if url.host().is_none() {
        return Err(UrlError::NotAbsolute);
    }
    Ok(())
}

/// The canonical form of a resource indicator (RFC 8707 §2, MCP "Canonical Server URI"):
/// lowercase scheme and host, default port dropped, no fragment or query, no trailing slash
/// (`HTTPS://A.example:443/mcp/` → `https://a.example/mcp`).
pub fn canonical_resource(raw: &str) -> Result<String, UrlError> {
    let url = Url::parse(raw).map_err(|_| UrlError::NotAbsolute)?;
    web_url_rules(&url)?;
    // `Url` already lowercases scheme and host and drops default ports.
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    let path = url.path().trim_end_matches('/');
    out.push_str(path);
    Ok(out)
}

/// Whether the resource indicator `raw` names the resource whose canonical URL is `canonical`
/// (RFC 8707 §2): the same after [`canonical_resource`], where the path may differ by one
/// trailing slash (`…/mcp/` is `…/mcp`) but not more (`…/mcp//` is another path), and no query
/// (which would name another resource).
#[must_use]
pub fn names_resource(raw: &str, canonical: &str) -> bool {
    let Ok(url) = Url::parse(raw) else { return false };
    let path = url.path();
    let one_slash_at_most = !path.strip_suffix('/').unwrap_or(path).ends_with('/');
    url.query().is_none() && one_slash_at_most && canonical_resource(raw).is_ok_and(|c| c == canonical)
}

/// Which redirect URIs of a client may differ from the registered ones in their port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopbackPorts {
    /// Exact match only: web clients (a local process on another port must not get their codes).
    Exact,
    /// Native apps (RFC 8252 §7.3): a loopback IP literal `http` URI may use any port.
    Any,
}

impl LoopbackPorts {
    /// `Any` for native apps: registered as `application_type: native`, or whose every redirect
    /// URI is loopback `http` (an app on the user's device, whatever it declared).
    #[must_use]
    pub fn for_client<'a>(application_type: &str, mut redirect_uris: impl Iterator<Item = &'a str>) -> Self {
        let loopback_http = |u: &str| Url::parse(u).is_ok_and(|u| u.scheme() == "http" && is_loopback(&u));
        if application_type == "native" || redirect_uris.all(loopback_http) {
            Self::Any
        } else {
            Self::Exact
        }
    }
}

/// True for `http` URLs whose host is a loopback IP literal (`127.0.0.0/8`, `[::1]`). Not
/// `localhost`: a name can resolve elsewhere, and RFC 8252 §7.3 / §8.3 speak of IP literals.
#[must_use]
pub fn is_loopback_ip_http(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        }
}

/// Whether a redirect URI in an authorization request matches a registered one: an exact string
/// match, except that with [`LoopbackPorts::Any`] (native apps) a loopback IP literal `http` URI
/// may differ in its port (RFC 8252 §7.3: native apps listen on whatever port is free). Host,
/// path and query must still be identical; `localhost` URIs always match exactly.
#[must_use]
pub fn redirect_uri_matches(registered: &str, requested: &str, ports: LoopbackPorts) -> bool {
    if registered == requested {
        return true;
    }
    if ports == LoopbackPorts::Exact {
        return false;
    }
    let (Ok(reg), Ok(req)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    is_loopback_ip_http(&reg)
        && is_loopback_ip_http(&req)
        && reg.host_str() == req.host_str()
        && reg.path() == req.path()
        && reg.query() == req.query()
        && req.fragment().is_none()
        && req.username().is_empty()
        && req.password().is_none()
        // `Url` normalises (e.g. drops a default port); only accept requests already in that form.
        && req.as_str() == requested
}

/// RFC 9728 §3.1: the metadata URL inserts the well-known segment between host and path.
/// `https://rs.example/mcp` → `https://rs.example/.well-known/oauth-protected-resource/mcp`.
#[must_use]
pub fn protected_resource_metadata_url(resource: &Url) -> String {
    well_known_for(resource, PROTECTED_RESOURCE_METADATA)
}

/// RFC 8414 §3.1: same construction for the authorization server metadata of an issuer.
#[must_use]
pub fn authorization_server_metadata_url(issuer: &Url) -> String {
    well_known_for(issuer, AS_METADATA)
}

fn well_known_for(base: &Url, well_known: &str) -> String {
    let origin = base.origin();
    let path = base.path().trim_end_matches('/');
    format!("{origin}{well_known}{path}")
}

/// The origin of a URL as a browser writes it in the `Origin` header.
#[must_use]
pub fn origin_of(url: &Url) -> String {
    url.origin()
}

#[cfg(test)]
mod network_tests;

#[cfg(test)]
mod private_use_tests;

#[cfg(test)]
mod tests;
