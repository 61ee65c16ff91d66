//! Discovery: the 401 challenge of the MCP server, its protected resource metadata (RFC 9728,
//! path-aware with a fallback to the root), and the authorization server metadata, probed in
//! the 2026-07-28 order (RFC 8414 and OpenID Connect Discovery, path-aware). Every URL in each
//! answer must pass `shared::urls::validate_network_url` as it is parsed, and the AS metadata's
//! `issuer` must equal the issuer it was fetched for, character for character.
//! Plain code: the requests, and the checks of their answers; `crate::flow`'s login driver sends
//! them (one await for the whole login).

use serde::de::DeserializeOwned;
use shared::challenge::BearerChallenge;
use shared::mcp::PROTOCOL_VERSION;
use shared::oauth::{AuthorizationServerMetadata, ProtectedResourceMetadata};
use shared::pkce;
use shared::urls::{self, NetworkUrls, Url};

use crate::error::CoreError;
use crate::http::{HttpRequest, HttpResponse};
use crate::wire::{self, JSON};

/// What the unauthenticated request told us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The raw `WWW-Authenticate` value, when the client could see one.
    pub www_authenticate: Option<String>,
    /// Its `resource_metadata` (already checked as a network URL).
    pub resource_metadata: Option<String>,
    /// Its `scope`, when not blank.
    pub scope: Option<String>,
}

/// The MCP server's URL, held to the rule for every URL the client sends tokens to.
pub fn parse_mcp_url(input: &str) -> Result<Url, CoreError> {
    urls::validate_network_url(input.trim()).map_err(|reason| CoreError::BadUrl {
        what: "the MCP server's URL".into(),
        url: input.to_owned(),
        reason: format!("{reason}. Enter the MCP server's URL"),
    })
}

/// The probe's `initialize` request, written as text: the values are fixed and need no
/// escaping, and a `json!` tree here put a map builder into the login code of the SPA.
pub(crate) fn initialize_body() -> String {
    let (name, version) = (crate::mcp::CLIENT_NAME, crate::mcp::CLIENT_VERSION);
    format!(
        r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{PROTOCOL_VERSION}","capabilities":{{}},"clientInfo":{{"name":"{name}","version":"{version}"}}}}}}"#
    )
}

/// `POST <mcp>` with an `initialize` body and no token; a protected server answers 401.
#[must_use]
pub fn probe_request(mcp: &Url) -> HttpRequest {
    HttpRequest::post(mcp.as_str(), JSON, initialize_body()).header("accept", "application/json, text/event-stream")
}

/// The probe's answer: a 401, whose challenge is read.
pub fn probe_answer(mcp: &Url, res: &HttpResponse) -> Result<Challenge, CoreError> {
    if res.status != 401 {
        return Err(CoreError::NoOAuth { url: mcp.to_string(), status: res.status });
    }
    challenge_from(mcp, res.header("www-authenticate"))
}

/// The challenge of a 401 the caller received itself (e.g. on an MCP request that needed a
/// token, when the server lets other requests through without one).
pub fn challenge_from(mcp: &Url, www_authenticate: Option<&str>) -> Result<Challenge, CoreError> {
    let raw = www_authenticate.map(str::to_owned);
    let parsed = raw.as_deref().and_then(BearerChallenge::parse);
    if let Some(refused) = parsed.as_ref().and_then(|c| c.check_network_urls().err()) {
        return Err(CoreError::Invalid {
            what: "the MCP server's WWW-Authenticate challenge".into(),
            url: mcp.to_string(),
            reason: refused.to_string(),
        });
    }
    Ok(Challenge {
        www_authenticate: raw,
        resource_metadata: parsed.as_ref().and_then(|c| c.resource_metadata.clone()),
        scope: parsed.and_then(|c| c.scope).filter(|s| !s.trim().is_empty()),
    })
}

/// Where to look for the protected resource metadata: the challenge's `resource_metadata` when
/// given; else the path-aware well-known URL, then the root one (RFC 9728 §3.1).
#[must_use]
pub fn prm_urls(mcp: &Url, challenge: &Challenge) -> Vec<String> {
    if let Some(url) = &challenge.resource_metadata {
        return vec![url.clone()];
    }
    let path_aware = urls::protected_resource_metadata_url(mcp);
    let root = format!("{}{}", mcp.origin(), urls::PROTECTED_RESOURCE_METADATA);
    if path_aware == root {
        vec![root]
    } else {
        vec![path_aware, root]
    }
}

/// Where to look for an issuer's metadata, in the order MCP 2026-07-28 prescribes:
/// with a path `https://h/p`: `/.well-known/oauth-authorization-server/p`,
/// `/.well-known/openid-configuration/p`, `/p/.well-known/openid-configuration`;
/// without: `/.well-known/oauth-authorization-server`, `/.well-known/openid-configuration`.
#[must_use]
pub fn as_metadata_urls(issuer: &Url) -> Vec<String> {
    let origin = issuer.origin();
    let path = issuer.path().trim_end_matches('/');
    if path.is_empty() {
        vec![format!("{origin}{}", urls::AS_METADATA), format!("{origin}{}", urls::OPENID_CONFIGURATION)]
    } else {
        vec![
            format!("{origin}{}{path}", urls::AS_METADATA),
            format!("{origin}{}{path}", urls::OPENID_CONFIGURATION),
            format!("{origin}{path}{}", urls::OPENID_CONFIGURATION),
        ]
    }
}

/// A metadata GET. The caller tries each candidate URL until one answers 200; a document that
/// parses but is refused then stops the search (a poisoned answer is not a missing one).
#[must_use]
pub fn metadata_request(url: &str) -> HttpRequest {
    HttpRequest::get(url).header("accept", JSON)
}

/// A 200's document, parsed, with every URL in it checked.
pub fn document<T: DeserializeOwned + NetworkUrls>(what: &str, url: &str, res: &HttpResponse) -> Result<T, CoreError> {
    let doc: T = wire::parse(what, url, res)?;
    doc.check_network_urls().map_err(|refused| CoreError::Invalid {
        what: what.to_owned(),
        url: url.to_owned(),
        reason: refused.to_string(),
    })?;
    Ok(doc)
}

pub const PRM_WHAT: &str = "the protected resource metadata";
pub const ASM_WHAT: &str = "the authorization server metadata";

/// Checks that the PRM (read from `url`) describes `mcp` (RFC 9728 §3.3) and names an AS.
pub fn check_prm(mcp: &Url, prm: &ProtectedResourceMetadata, url: &str) -> Result<(), CoreError> {
    let invalid = |reason: String| CoreError::Invalid { what: PRM_WHAT.into(), url: url.to_owned(), reason };
    let ours = urls::canonical_resource(mcp.as_str()).unwrap_or_else(|_| mcp.to_string());
    let theirs = urls::canonical_resource(&prm.resource).unwrap_or_else(|_| prm.resource.clone());
    if !resource_covers(&theirs, &ours) {
        return Err(invalid(format!(
            "it describes the resource {}, not the MCP server {mcp} you connected to (RFC 9728 §3.3)",
            prm.resource
        )));
    }
    if prm.authorization_servers.is_empty() {
        return Err(invalid("authorization_servers is empty, so there is nowhere to log in".into()));
    }
    Ok(())
}

/// Whether the PRM's `resource` covers the MCP URL: the same URL, or (RFC 9728 §3.1's root
/// document, e.g. `https://h` for `https://h/mcp`) the same origin with a path that is a
/// whole-segment prefix of the MCP URL's. Another origin never matches.
#[must_use]
pub fn resource_covers(resource: &str, mcp: &str) -> bool {
    if resource == mcp {
        return true;
    }
    let (Ok(r), Ok(m)) = (Url::parse(resource), Url::parse(mcp)) else { return false };
    if !r.same_origin(&m) || r.query().is_some() {
        return false;
    }
    let base = r.path().trim_end_matches('/');
    base.is_empty() || m.path() == base || m.path().starts_with(&format!("{base}/"))
}

/// The issuer as a URL its metadata may be fetched from.
pub fn issuer_url(issuer: &str) -> Result<Url, CoreError> {
    urls::validate_network_url(issuer).map_err(|reason| CoreError::BadUrl {
        what: "the authorization server's issuer".into(),
        url: issuer.to_owned(),
        reason: reason.to_string(),
    })
}

/// Checks the issuer's metadata (read from `url`): the exact issuer match and PKCE S256 support.
pub fn check_asm(asm: &AuthorizationServerMetadata, issuer: &str, url: &str) -> Result<(), CoreError> {
    check_issuer(asm, issuer, url)?;
    if !asm.code_challenge_methods_supported.iter().any(|m| m == pkce::METHOD_S256) {
        return Err(CoreError::Invalid {
            what: ASM_WHAT.into(),
            url: url.to_owned(),
            reason: "it does not list S256 in code_challenge_methods_supported, so PKCE is not available".into(),
        });
    }
    Ok(())
}

/// RFC 8414 §3.3: the `issuer` in the document is identical to the one it was fetched for.
pub fn check_issuer(asm: &AuthorizationServerMetadata, issuer: &str, url: &str) -> Result<(), CoreError> {
    if asm.issuer == issuer {
        Ok(())
    } else {
        Err(CoreError::IssuerMismatch { url: url.to_owned(), expected: issuer.to_owned(), got: asm.issuer.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_resource_covers_the_mcp_path_but_another_origin_never_does() {
        assert!(resource_covers("http://localhost:1/mcp", "http://localhost:1/mcp"));
        assert!(resource_covers("http://localhost:1", "http://localhost:1/mcp"));
        assert!(resource_covers("http://localhost:1/", "http://localhost:1/mcp"));
        assert!(resource_covers("https://h/tenant", "https://h/tenant/mcp"));
        assert!(!resource_covers("https://h/ten", "https://h/tenant/mcp"));
        assert!(!resource_covers("https://h/other", "https://h/mcp"));
        assert!(!resource_covers("https://evil.example.com/mcp", "http://localhost:1/mcp"));
        assert!(!resource_covers("http://localhost:2", "http://localhost:1/mcp"));
    }

    #[test]
    fn the_probe_body_is_the_json_rpc_initialize_request() {
        let params = serde_json::json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": { "name": crate::mcp::CLIENT_NAME, "version": crate::mcp::CLIENT_VERSION },
        });
        let expected = serde_json::to_value(shared::mcp::JsonRpcRequest::call(0, "initialize", params));
        let body = serde_json::from_str::<serde_json::Value>(&initialize_body());
        assert_eq!(body.ok(), expected.ok());
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn as_metadata_probe_order_with_a_path_includes_openid_in_2026_07_28_order() {
        assert_eq!(
            as_metadata_urls(&url("https://h/p")),
            [
                "https://h/.well-known/oauth-authorization-server/p",
                "https://h/.well-known/openid-configuration/p",
                "https://h/p/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn as_metadata_probe_order_without_a_path() {
        for issuer in ["https://h", "https://h/"] {
            assert_eq!(
                as_metadata_urls(&url(issuer)),
                ["https://h/.well-known/oauth-authorization-server", "https://h/.well-known/openid-configuration"]
            );
        }
    }

    #[test]
    fn prm_is_path_aware_with_root_fallback_unless_the_challenge_names_it() {
        let none = Challenge { www_authenticate: None, resource_metadata: None, scope: None };
        assert_eq!(
            prm_urls(&url("http://127.0.0.1:9/mcp"), &none),
            [
                "http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp",
                "http://127.0.0.1:9/.well-known/oauth-protected-resource"
            ]
        );
        assert_eq!(prm_urls(&url("https://h/"), &none), ["https://h/.well-known/oauth-protected-resource"]);
        let named = Challenge { resource_metadata: Some("https://h/prm".into()), ..none };
        assert_eq!(prm_urls(&url("https://h/mcp"), &named), ["https://h/prm"]);
    }
}
