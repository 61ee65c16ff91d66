//! The authorization request (PKCE S256, RFC 8707 `resource`, `state`) and the checks on the
//! authorization response: `state` first (a callback without this login's state is forged, and
//! nothing in it is used), then `error`, then RFC 9207 `iss` — required and equal to the issuer
//! when the AS advertises it; when not advertised, accepted when absent but compared when
//! present. Every comparison is a simple string comparison, without URL normalisation.

use serde::Serialize;
use shared::oauth::AuthorizationServerMetadata;
use shared::pkce::{self, constant_time_eq};
use shared::urls::Url;

use crate::error::CoreError;
use crate::identity::Credentials;

/// Everything the callback needs to finish a login; the front end keeps it across the redirect.
/// (`Deserialize` is in `stored`: one shared field reader instead of a derived visitor.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingAuthorization {
    pub state: String,
    pub code_verifier: String,
    pub credentials: Credentials,
    pub issuer: String,
    /// The AS advertised `authorization_response_iss_parameter_supported` (RFC 9207 §3).
    pub iss_required: bool,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// The RFC 8707 resource (sent on the authorization AND the token requests).
    pub resource: String,
    pub mcp_url: String,
    pub redirect_uri: String,
    /// `None`: the `scope` parameter was omitted.
    pub scope: Option<String>,
    pub authorization_url: String,
}

/// Makes the PKCE pair and `state` from the caller's randomness and the authorization URL.
pub fn start(
    asm: &AuthorizationServerMetadata,
    credentials: Credentials,
    mcp_url: &str,
    resource: &str,
    scope: Option<String>,
    random: &mut dyn FnMut(&mut [u8]),
) -> Result<PendingAuthorization, CoreError> {
    let mut bytes = [0u8; 32];
    random(&mut bytes);
    let code_verifier = pkce::verifier_from_bytes(&bytes);
    random(&mut bytes);
    let state = pkce::verifier_from_bytes(&bytes);
    let mut url = Url::parse(&asm.authorization_endpoint).map_err(|e| CoreError::BadUrl {
        what: "the authorization endpoint".into(),
        url: asm.authorization_endpoint.clone(),
        reason: e.to_string(),
    })?;
    let challenge = pkce::challenge_s256(&code_verifier);
    let pairs = [
        ("response_type", Some(shared::oauth::RESPONSE_TYPE_CODE)),
        ("client_id", Some(credentials.client_id.as_str())),
        ("redirect_uri", Some(credentials.redirect_uri.as_str())),
        ("scope", scope.as_deref()),
        ("state", Some(state.as_str())),
        ("code_challenge", Some(challenge.as_str())),
        ("code_challenge_method", Some(pkce::METHOD_S256)),
        ("resource", Some(resource)),
    ];
    url.append_query_pairs(pairs.into_iter().filter_map(|(k, v)| Some((k, v?))));
    Ok(PendingAuthorization {
        state,
        code_verifier,
        redirect_uri: credentials.redirect_uri.clone(),
        credentials,
        issuer: asm.issuer.clone(),
        iss_required: asm.authorization_response_iss_parameter_supported,
        token_endpoint: asm.token_endpoint.clone(),
        revocation_endpoint: asm.revocation_endpoint.clone(),
        resource: resource.to_owned(),
        mcp_url: mcp_url.to_owned(),
        scope,
        authorization_url: url.to_string(),
    })
}

/// The query parameters of the authorization response (RFC 6749 §4.1.2, RFC 9207).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub iss: Option<String>,
}

impl CallbackParams {
    /// From a callback URL's query (the CLI's loopback listener; the SPA reads its router).
    #[must_use]
    pub fn from_query(query: &str) -> Self {
        let mut p = Self::default();
        for (k, v) in shared::form::parse(query.trim_start_matches('?')) {
            let v = Some(v.into_owned());
            match k.as_ref() {
                "code" => p.code = v,
                "state" => p.state = v,
                "error" => p.error = v,
                "error_description" => p.error_description = v,
                "iss" => p.iss = v,
                _ => {}
            }
        }
        p
    }
}

/// Whether the callback carries the pending login's `state` (compared in constant time).
#[must_use]
pub fn state_matches(params: &CallbackParams, pending: &PendingAuthorization) -> bool {
    params.state.as_deref().is_some_and(|s| constant_time_eq(s.as_bytes(), pending.state.as_bytes()))
}

/// Validates the authorization response against the pending login; returns the code.
pub fn check_callback(params: &CallbackParams, pending: Option<&PendingAuthorization>) -> Result<String, CoreError> {
    let Some(pending) = pending.filter(|p| state_matches(params, p)) else {
        return Err(CoreError::StateMismatch);
    };
    if let Some(error) = &params.error {
        let description = params.error_description.clone().filter(|d| !d.is_empty());
        return Err(if error == "access_denied" {
            CoreError::AccessDenied { description }
        } else {
            CoreError::AuthorizationRefused { error: error.clone(), description }
        });
    }
    check_iss(params.iss.as_deref(), &pending.issuer, pending.iss_required)?;
    params.code.clone().filter(|c| !c.is_empty()).ok_or(CoreError::MissingCode)
}

/// RFC 9207 as the 2026-07-28 conformance scenarios read it: advertised → required and equal;
/// not advertised → absent is fine, present must still be equal. Exact string comparison.
pub fn check_iss(iss: Option<&str>, issuer: &str, advertised: bool) -> Result<(), CoreError> {
    match iss {
        Some(iss) if iss != issuer => Err(CoreError::IssMismatch { expected: issuer.to_owned(), got: iss.to_owned() }),
        None if advertised => Err(CoreError::IssMissing { issuer: issuer.to_owned() }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iss_rules() {
        let is = "https://as.example";
        assert_eq!(check_iss(Some(is), is, true), Ok(()));
        assert!(matches!(check_iss(None, is, true), Err(CoreError::IssMissing { .. })));
        assert_eq!(check_iss(None, is, false), Ok(()));
        assert!(matches!(check_iss(Some("https://evil.example.com"), is, false), Err(CoreError::IssMismatch { .. })));
        // No normalisation: a trailing slash or case change is a different issuer.
        assert!(matches!(check_iss(Some("https://as.example/"), is, true), Err(CoreError::IssMismatch { .. })));
        assert!(matches!(check_iss(Some("HTTPS://as.example"), is, false), Err(CoreError::IssMismatch { .. })));
    }

    #[test]
    fn callback_query_parses() {
        let p = CallbackParams::from_query("?code=c&state=s&iss=https%3A%2F%2Fa");
        assert_eq!(
            (p.code.as_deref(), p.state.as_deref(), p.iss.as_deref()),
            (Some("c"), Some("s"), Some("https://a"))
        );
    }
}
