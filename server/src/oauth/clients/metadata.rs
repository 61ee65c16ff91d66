//! Client metadata rules shared by dynamic registration (RFC 7591) and the clients file: which
//! authentication methods and application types exist, and which redirect URIs each type may use.

use shared::oauth::{
    ClientRegistrationRequest, ErrorCode, APPLICATION_TYPE_NATIVE, APPLICATION_TYPE_WEB,
    AUTH_METHOD_CLIENT_SECRET_BASIC, AUTH_METHOD_CLIENT_SECRET_POST, AUTH_METHOD_NONE, GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN, RESPONSE_TYPE_CODE,
};
use shared::scopes::{self, ScopeSet};

use crate::store::Client;

const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_LEN: usize = 2000;
const MAX_NAME_LEN: usize = 200;

/// How a client authenticates at the token and revocation endpoints (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// A public client: it names itself with `client_id` and proves nothing but PKCE.
    None,
    /// `Authorization: Basic` with the form-urlencoded id and secret.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl AuthMethod {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            AUTH_METHOD_NONE => Some(Self::None),
            AUTH_METHOD_CLIENT_SECRET_BASIC => Some(Self::ClientSecretBasic),
            AUTH_METHOD_CLIENT_SECRET_POST => Some(Self::ClientSecretPost),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => AUTH_METHOD_NONE,
            Self::ClientSecretBasic => AUTH_METHOD_CLIENT_SECRET_BASIC,
            Self::ClientSecretPost => AUTH_METHOD_CLIENT_SECRET_POST,
        }
    }

    /// Whether the client holds a secret.
    pub fn is_confidential(self) -> bool {
        self != Self::None
    }
}

/// OpenID Connect Dynamic Client Registration §2: decides which redirect URIs are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplicationType {
    /// https, or http on a loopback host (a development SPA).
    Web,
    /// RFC 8252: loopback http on any port, claimed https, or a reverse-domain private scheme.
    Native,
}

impl ApplicationType {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            APPLICATION_TYPE_WEB => Some(Self::Web),
            APPLICATION_TYPE_NATIVE => Some(Self::Native),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => APPLICATION_TYPE_WEB,
            Self::Native => APPLICATION_TYPE_NATIVE,
        }
    }
}

/// A refused metadata field: which one, the RFC 7591 §3.2.2 error code, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct MetadataError {
    pub field: &'static str,
    pub code: ErrorCode,
    pub message: String,
}

impl MetadataError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, code: ErrorCode::InvalidClientMetadata, message: message.into() }
    }

    fn redirect(message: impl Into<String>) -> Self {
        Self { field: "redirect_uris", code: ErrorCode::InvalidRedirectUri, message: message.into() }
    }
}

/// Metadata that passed every rule, ready to become a stored [`Client`].
#[derive(Debug)]
pub struct ValidMetadata {
    pub redirect_uris: Vec<String>,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub grant_types: Vec<String>,
    pub auth_method: AuthMethod,
    pub application_type: ApplicationType,
    pub scope: Option<String>,
}

impl ValidMetadata {
    pub fn into_client(self, client_id: String, secret_hash: Option<String>, configured: bool, now: i64) -> Client {
        Client {
            client_id,
            client_name: self.client_name,
            client_uri: self.client_uri,
            redirect_uris: self.redirect_uris,
            grant_types: self.grant_types,
            response_types: vec![RESPONSE_TYPE_CODE.into()],
            token_endpoint_auth_method: self.auth_method.as_str().into(),
            scope: self.scope,
            created_at: now,
            application_type: self.application_type.as_str().into(),
            client_secret_hash: secret_hash,
            configured,
        }
    }
}

/// Checks RFC 7591 client metadata. Unsupported grant types are dropped rather than refused
/// (RFC 7591 §3.2.1 lets the server return what it registered).
/// `private_use_schemes`: the operator's allow-list of private-use redirect schemes accepted by
/// exact name for any client (`--private-use-schemes`).
pub fn validate(
    req: ClientRegistrationRequest,
    private_use_schemes: &[String],
) -> Result<ValidMetadata, MetadataError> {
    let application_type = match req.application_type.as_deref() {
        None => ApplicationType::Web,
        Some(name) => ApplicationType::parse(name).ok_or_else(|| {
            MetadataError::new("application_type", format!("{name:?} is not supported; use \"web\" or \"native\""))
        })?,
    };
    check_redirect_uris(&req.redirect_uris, application_type, private_use_schemes)?;
    let method = req.token_endpoint_auth_method.as_deref().unwrap_or(AUTH_METHOD_NONE);
    let auth_method = AuthMethod::parse(method).ok_or_else(|| {
        MetadataError::new(
            "token_endpoint_auth_method",
            format!("{method:?} is not supported; use none, client_secret_basic or client_secret_post"),
        )
    })?;
    let grant_types = req.grant_types.unwrap_or_else(|| vec![GRANT_AUTHORIZATION_CODE.into()]);
    if !grant_types.iter().any(|g| g == GRANT_AUTHORIZATION_CODE) {
        return Err(MetadataError::new("grant_types", "grant_types must include authorization_code"));
    }
    let grant_types: Vec<String> = [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN]
        .into_iter()
        .filter(|supported| grant_types.iter().any(|g| g == supported))
        .map(str::to_owned)
        .collect();
    let response_types = req.response_types.unwrap_or_else(|| vec![RESPONSE_TYPE_CODE.into()]);
    if response_types.iter().any(|r| r != RESPONSE_TYPE_CODE) {
        return Err(MetadataError::new("response_types", "only the \"code\" response type is supported"));
    }
    Ok(ValidMetadata {
        scope: check_scope(req.scope.as_deref())?,
        client_name: check_client_name(req.client_name)?,
        client_uri: check_client_uri(req.client_uri)?,
        redirect_uris: req.redirect_uris,
        grant_types,
        auth_method,
        application_type,
    })
}

fn check_redirect_uris(
    uris: &[String],
    application_type: ApplicationType,
    private_use_schemes: &[String],
) -> Result<(), MetadataError> {
    if uris.is_empty() {
        return Err(MetadataError::redirect("redirect_uris is required"));
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(MetadataError::redirect(format!("at most {MAX_REDIRECT_URIS} redirect_uris")));
    }
    for uri in uris {
        if uri.len() > MAX_URI_LEN {
            return Err(MetadataError::redirect("redirect URI is too long"));
        }
        let checked = match application_type {
            ApplicationType::Web => shared::urls::validate_redirect_uri(uri),
            ApplicationType::Native => shared::urls::validate_native_redirect_uri(uri),
        }
        .or_else(|e| shared::urls::validate_allow_listed_private_use(uri, private_use_schemes).map_err(|_| e));
        checked.map_err(|e| {
            let kind = application_type.as_str();
            MetadataError::redirect(format!("redirect URI {uri:?} of a {kind} application {e}"))
        })?;
    }
    Ok(())
}

fn check_scope(raw: Option<&str>) -> Result<Option<String>, MetadataError> {
    let Some(raw) = raw else { return Ok(None) };
    let set = ScopeSet::parse(raw).ok_or_else(|| MetadataError::new("scope", "scope is malformed"))?;
    let unknown = set.unknown_in(scopes::SUPPORTED);
    if !unknown.is_empty() {
        return Err(MetadataError::new("scope", format!("unknown scope(s): {}", unknown.join(" "))));
    }
    Ok((!set.is_empty()).then(|| set.to_string()))
}

fn check_client_name(name: Option<String>) -> Result<Option<String>, MetadataError> {
    match name {
        Some(n) if n.chars().count() > MAX_NAME_LEN || n.chars().any(char::is_control) => Err(MetadataError::new(
            "client_name",
            format!("client_name must be at most {MAX_NAME_LEN} printable characters"),
        )),
        other => Ok(other.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())),
    }
}

fn check_client_uri(uri: Option<String>) -> Result<Option<String>, MetadataError> {
    if let Some(u) = &uri {
        let ok = url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "https" | "http")) && u.len() <= MAX_URI_LEN;
        if !ok {
            return Err(MetadataError::new("client_uri", "client_uri must be an http(s) URL"));
        }
    }
    Ok(uri)
}
