//! Who the client is at an authorization server: a pre-registered `client_id` (and secret) the
//! caller gives, else a Client ID Metadata Document URL when the AS supports them and the caller
//! has an https one, else a dynamic registration (RFC 7591; only `client_id` is required in the
//! answer). Credentials are kept per issuer by the caller ([`CredentialStore`]) and reused while
//! they fit; credentials are never carried over to another issuer.

use serde::{Deserialize, Serialize};
use shared::oauth::{
    AuthorizationServerMetadata, ClientRegistrationResponse, AUTH_METHOD_CLIENT_SECRET_BASIC,
    AUTH_METHOD_CLIENT_SECRET_POST, AUTH_METHOD_NONE, GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN,
    RESPONSE_TYPE_CODE,
};
use shared::scopes::ScopeSet;
use shared::urls::{self, LoopbackPorts};

use crate::error::CoreError;
use crate::http::{HttpRequest, HttpResponse};
use crate::mcp::text_of;
use crate::wire::{self, JSON};

/// How the client got its `client_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialSource {
    PreRegistered,
    /// The `client_id` is the URL of a Client ID Metadata Document.
    MetadataDocument,
    /// RFC 7591 dynamic registration.
    Dynamic,
}

/// A client identity at one authorization server. Public clients have no secret.
/// (`Deserialize` is in `stored`: one shared field reader instead of a derived visitor.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Credentials {
    pub issuer: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// `none`, `client_secret_post` or `client_secret_basic`.
    pub token_endpoint_auth_method: String,
    pub source: CredentialSource,
    /// The redirect URI registered (for dynamic registrations).
    pub redirect_uri: String,
    /// Where it was registered; a server that moves its endpoint gets a new registration.
    #[serde(default)]
    pub registration_endpoint: Option<String>,
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// The scope registered, if the server said; requests may not ask for more.
    #[serde(default)]
    pub scope: Option<String>,
    /// `client_id_issued_at` (seconds since the epoch).
    #[serde(default)]
    pub issued_at: Option<i64>,
}

/// Where the caller keeps credentials, per issuer (SPA: `localStorage`; CLI: a file).
pub trait CredentialStore {
    fn load(&self, issuer: &str) -> Option<Credentials>;
    fn save(&self, credentials: &Credentials);
    /// Forgets the issuer's credentials if they still name `client_id` (a newer registration
    /// made meanwhile, e.g. in another tab, is kept).
    fn forget(&self, issuer: &str, client_id: &str);
}

/// A store that keeps nothing (every login registers anew).
pub struct NoStore;

impl CredentialStore for NoStore {
    fn load(&self, _: &str) -> Option<Credentials> {
        None
    }
    fn save(&self, _: &Credentials) {}
    fn forget(&self, _: &str, _: &str) {}
}

/// A `client_id` the caller registered out of band.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreRegistered {
    pub client_id: String,
    pub client_secret: Option<String>,
    /// When `None`: `client_secret_basic` with a secret (RFC 6749 default), else `none`; a
    /// method the AS does not list is replaced by one it does.
    pub token_endpoint_auth_method: Option<String>,
}

/// What the caller says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    pub client_name: String,
    pub redirect_uri: String,
    /// `native` for the CLI (loopback redirect on any port); `None` for the browser.
    pub application_type: Option<String>,
    pub pre_registered: Option<PreRegistered>,
    /// An https URL serving this client's metadata document.
    pub metadata_document_url: Option<String>,
}

/// How [`choose`] (or [`registered`]) got the credentials (for the timeline's sentence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    PreRegistered,
    MetadataDocument,
    Reused,
    Registered { endpoint: String },
}

/// What [`choose`] decided: credentials at hand, or a registration to make at this endpoint.
/// Unboxed: boxing the credentials cost the SPA 68 bytes gzipped.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    Ready(Credentials, Resolved),
    Register(String),
}

/// Picks the identity: pre-registered, else CIMD, else the stored registration if it fits, else
/// a new dynamic registration for `scope` ([`registration_request`], then [`registered`]).
/// Nothing is saved here: the caller saves the credentials once a login with them worked
/// ([`crate::flow`] does).
pub fn choose(
    asm: &AuthorizationServerMetadata,
    config: &ClientConfig,
    store: &dyn CredentialStore,
    scope: Option<&str>,
) -> Result<Choice, CoreError> {
    let base = |client_id: String, source| Credentials {
        issuer: asm.issuer.clone(),
        client_id,
        client_secret: None,
        token_endpoint_auth_method: AUTH_METHOD_NONE.to_owned(),
        source,
        redirect_uri: config.redirect_uri.clone(),
        registration_endpoint: None,
        grant_types: vec![GRANT_AUTHORIZATION_CODE.to_owned(), GRANT_REFRESH_TOKEN.to_owned()],
        scope: None,
        issued_at: None,
    };
    if let Some(pre) = &config.pre_registered {
        let method = auth_method(asm, pre.token_endpoint_auth_method.as_deref(), pre.client_secret.is_some());
        let creds = Credentials {
            client_secret: pre.client_secret.clone(),
            token_endpoint_auth_method: method,
            ..base(pre.client_id.clone(), CredentialSource::PreRegistered)
        };
        return Ok(Choice::Ready(creds, Resolved::PreRegistered));
    }
    if let Some(cimd) = config.metadata_document_url.as_deref().filter(|u| u.starts_with("https://")) {
        if asm.client_id_metadata_document_supported {
            let creds = base(cimd.to_owned(), CredentialSource::MetadataDocument);
            return Ok(Choice::Ready(creds, Resolved::MetadataDocument));
        }
    }
    let Some(endpoint) = asm.registration_endpoint.clone() else {
        return Err(CoreError::Invalid {
            what: crate::discovery::ASM_WHAT.into(),
            url: asm.issuer.clone(),
            reason: "it has no registration_endpoint, so this app cannot register itself".into(),
        });
    };
    if let Some(stored) = store.load(&asm.issuer) {
        if fits(&stored, asm, &endpoint, config, scope) {
            // This run's redirect URI: a native app's loopback port changes from run to run,
            // and the browser must come back to the port listening now (RFC 8252 §7.3).
            let creds = Credentials { redirect_uri: config.redirect_uri.clone(), ..stored };
            return Ok(Choice::Ready(creds, Resolved::Reused));
        }
    }
    Ok(Choice::Register(endpoint))
}

/// Whether a stored registration can serve this request.
#[must_use]
pub fn fits(
    stored: &Credentials,
    asm: &AuthorizationServerMetadata,
    endpoint: &str,
    config: &ClientConfig,
    scope: Option<&str>,
) -> bool {
    let scope_fits = match (stored.scope.as_deref().and_then(ScopeSet::parse), scope.and_then(ScopeSet::parse)) {
        (Some(registered), Some(asked)) => asked.is_subset_of(&registered),
        (None, _) | (Some(_), None) => true,
    };
    // A native app's loopback redirect may change port from run to run (RFC 8252 §7.3).
    let ports = match config.application_type.as_deref() {
        Some(shared::oauth::APPLICATION_TYPE_NATIVE) => LoopbackPorts::Any,
        _ => LoopbackPorts::Exact,
    };
    stored.source == CredentialSource::Dynamic
        && stored.issuer == asm.issuer
        && urls::redirect_uri_matches(&stored.redirect_uri, &config.redirect_uri, ports)
        && stored.registration_endpoint.as_deref() == Some(endpoint)
        && !stored.client_id.is_empty()
        && stored.grant_types.iter().any(|g| g == GRANT_AUTHORIZATION_CODE)
        && scope_fits
}

/// The token endpoint auth method: the one asked for when the AS lists it (or lists none),
/// else the first of `client_secret_basic` / `client_secret_post` it lists (with a secret).
#[must_use]
pub fn auth_method(asm: &AuthorizationServerMetadata, wanted: Option<&str>, has_secret: bool) -> String {
    let listed = &asm.token_endpoint_auth_methods_supported;
    let ok = |m: &str| listed.is_empty() || listed.iter().any(|l| l == m);
    if !has_secret {
        return AUTH_METHOD_NONE.to_owned();
    }
    if let Some(w) = wanted.filter(|w| ok(w)) {
        return w.to_owned();
    }
    [AUTH_METHOD_CLIENT_SECRET_BASIC, AUTH_METHOD_CLIENT_SECRET_POST]
        .into_iter()
        .find(|m| ok(m))
        .unwrap_or(AUTH_METHOD_CLIENT_SECRET_BASIC)
        .to_owned()
}

pub const REGISTER_WHAT: &str = "the registration endpoint";

/// The method to register with: `none` (a public client) unless the AS lists methods without
/// it; then the first of `client_secret_basic` / `client_secret_post` it lists.
#[must_use]
pub fn registration_auth_method(asm: &AuthorizationServerMetadata) -> &'static str {
    let listed = &asm.token_endpoint_auth_methods_supported;
    if listed.is_empty() || listed.iter().any(|m| m == AUTH_METHOD_NONE) {
        return AUTH_METHOD_NONE;
    }
    [AUTH_METHOD_CLIENT_SECRET_BASIC, AUTH_METHOD_CLIENT_SECRET_POST]
        .into_iter()
        .find(|m| listed.iter().any(|l| l == m))
        .unwrap_or(AUTH_METHOD_NONE)
}

/// The RFC 7591 request body, written as text: the members are fixed and their values
/// escaped one by one, where a derived `Serialize` of `ClientRegistrationRequest` put a struct
/// serializer into the login code of the SPA (the test checks both agree).
fn registration_body(config: &ClientConfig, auth_method: &str, scope: Option<&str>) -> String {
    let optional = |name: &str, v: Option<&str>| v.map(|v| format!(r#","{name}":{}"#, text_of(v))).unwrap_or_default();
    format!(
        r#"{{"redirect_uris":[{}],"client_name":{},"grant_types":["{GRANT_AUTHORIZATION_CODE}","{GRANT_REFRESH_TOKEN}"],"response_types":["{RESPONSE_TYPE_CODE}"],"token_endpoint_auth_method":"{auth_method}"{}{}}}"#,
        text_of(&config.redirect_uri),
        text_of(&config.client_name),
        optional("scope", scope),
        optional("application_type", config.application_type.as_deref()),
    )
}

/// The RFC 7591 registration request (a public client unless the AS refuses those, see
/// [`registration_auth_method`]).
#[must_use]
pub fn registration_request(
    endpoint: &str,
    asm: &AuthorizationServerMetadata,
    config: &ClientConfig,
    scope: Option<&str>,
) -> HttpRequest {
    let body = registration_body(config, registration_auth_method(asm), scope);
    HttpRequest::post(endpoint, JSON, body).header("accept", JSON)
}

/// The registration's answer: 201 with a `client_id`, the rest optional.
pub fn registered(
    res: &HttpResponse,
    endpoint: &str,
    asm: &AuthorizationServerMetadata,
    config: &ClientConfig,
    scope: Option<&str>,
) -> Result<Credentials, CoreError> {
    if res.status != 201 && res.status != 200 {
        return Err(wire::oauth_error("Client registration", res)
            .unwrap_or_else(|| wire::status_error(REGISTER_WHAT, "POST", endpoint, "201", res)));
    }
    let got: ClientRegistrationResponse = wire::parse(REGISTER_WHAT, endpoint, res)?;
    if got.client_id.is_empty() {
        return Err(CoreError::Invalid {
            what: REGISTER_WHAT.into(),
            url: endpoint.to_owned(),
            reason: "client_id is empty".into(),
        });
    }
    let method = match (got.client_secret.is_some(), got.token_endpoint_auth_method.as_str()) {
        (false, _) => AUTH_METHOD_NONE.to_owned(),
        (true, "" | AUTH_METHOD_NONE) => auth_method(asm, None, true),
        (true, m) => m.to_owned(),
    };
    Ok(Credentials {
        issuer: asm.issuer.clone(),
        client_id: got.client_id,
        client_secret: got.client_secret,
        token_endpoint_auth_method: method,
        source: CredentialSource::Dynamic,
        redirect_uri: config.redirect_uri.clone(),
        registration_endpoint: Some(endpoint.to_owned()),
        grant_types: got.grant_types,
        scope: got.scope.or_else(|| scope.map(str::to_owned)),
        issued_at: got.client_id_issued_at.filter(|&at| at > 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asm(methods: &[&str]) -> AuthorizationServerMetadata {
        let doc = serde_json::json!({
            "issuer": "https://as", "authorization_endpoint": "https://as/a", "token_endpoint": "https://as/t",
            "response_types_supported": ["code"], "token_endpoint_auth_methods_supported": methods,
        });
        serde_json::from_value(doc).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_registration_body_is_the_derived_request_with_escaped_values() {
        use shared::oauth::ClientRegistrationRequest;
        for (scope, application_type) in [(None, None), (Some("mcp:read \"x\""), Some("native"))] {
            let config = ClientConfig {
                client_name: "A \"quoted\" \\ name\n".into(),
                redirect_uri: "http://127.0.0.1:8/cb?a=\"b\"".into(),
                application_type: application_type.map(str::to_owned),
                pre_registered: None,
                metadata_document_url: None,
            };
            let derived = ClientRegistrationRequest {
                redirect_uris: vec![config.redirect_uri.clone()],
                client_name: Some(config.client_name.clone()),
                grant_types: Some(vec![GRANT_AUTHORIZATION_CODE.to_owned(), GRANT_REFRESH_TOKEN.to_owned()]),
                response_types: Some(vec![RESPONSE_TYPE_CODE.to_owned()]),
                token_endpoint_auth_method: Some("none".into()),
                scope: scope.map(str::to_owned),
                application_type: config.application_type.clone(),
                ..ClientRegistrationRequest::default()
            };
            let ours: serde_json::Value =
                serde_json::from_str(&registration_body(&config, "none", scope)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(Some(ours), serde_json::to_value(derived).ok());
        }
    }

    #[test]
    fn registers_public_unless_the_as_only_takes_secrets() {
        assert_eq!(registration_auth_method(&asm(&[])), "none");
        assert_eq!(registration_auth_method(&asm(&["client_secret_basic", "none"])), "none");
        assert_eq!(registration_auth_method(&asm(&["client_secret_post"])), "client_secret_post");
        assert_eq!(
            registration_auth_method(&asm(&["client_secret_post", "client_secret_basic"])),
            "client_secret_basic"
        );
    }

    #[test]
    fn a_secret_is_sent_the_way_the_as_accepts() {
        assert_eq!(auth_method(&asm(&["client_secret_post"]), None, true), "client_secret_post");
        assert_eq!(
            auth_method(&asm(&["client_secret_basic"]), Some("client_secret_post"), true),
            "client_secret_basic"
        );
        assert_eq!(auth_method(&asm(&[]), None, true), "client_secret_basic");
        assert_eq!(auth_method(&asm(&["client_secret_basic"]), None, false), "none");
    }
}
