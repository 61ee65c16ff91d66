//! OAuth wire types: RFC 8414 (AS metadata), RFC 9728 (protected resource metadata), RFC 7591
//! (dynamic registration), RFC 6749 (token endpoint and errors) and RFC 7662 (introspection).
//!
//! Fields that later revisions add carry `#[serde(default)]` so older peers still parse.

use serde::{Deserialize, Serialize};

mod read;

/// RFC 8414 authorization server metadata (`Deserialize` in `read`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AuthorizationServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    pub response_types_supported: Vec<String>,
    #[serde(default)]
    pub response_modes_supported: Vec<String>,
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// Client ID Metadata Documents: an https URL may be used as `client_id`.
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
}

/// RFC 9728 protected resource metadata.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ProtectedResourceMetadata {
    pub resource: String,
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    #[serde(default)]
    pub bearer_methods_supported: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
}

/// RFC 7591 §2 client metadata, as sent to `/register`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClientRegistrationRequest {
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// OpenID Connect Dynamic Client Registration §2: `web` (the default) or `native`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
}

/// RFC 7591 §3.2.1 registration response: the stored metadata plus the issued identifier. Only
/// `client_id` is required there, so a client reads every other member as optional (absent
/// lists are empty, except `grant_types`, whose RFC 7591 §2 default is `authorization_code`);
/// this server always sends them all.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ClientRegistrationResponse {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_issued_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default = "default_grant_types")]
    pub grant_types: Vec<String>,
    #[serde(default)]
    pub response_types: Vec<String>,
    /// Empty when the server did not say.
    #[serde(default)]
    pub token_endpoint_auth_method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
}

pub(crate) fn default_grant_types() -> Vec<String> {
    vec![GRANT_AUTHORIZATION_CODE.to_owned()]
}

/// The authorization-code token request (RFC 6749 §4.1.3 with RFC 7636 and RFC 8707).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuthorizationCodeTokenRequest {
    pub grant_type: String,
    pub code: String,
    pub redirect_uri: String,
    pub client_id: String,
    pub code_verifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// RFC 6749 §5.1 successful token response.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// One entry of the AS's revocation feed (`GET /revocations?after=<id>`, our extension): a
/// revoked grant (`kind` `grant`, matched against a token's `gid` claim) or access token
/// (`token`, its `jti`). Ids only grow; a follower asks for what comes after the last it saw.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevocationEntry {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub revoked_at: i64,
}

/// The revocation feed's answer, oldest first.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevocationFeed {
    pub revocations: Vec<RevocationEntry>,
}

/// RFC 7662 §2.2 introspection response. Only `active` is present for an inactive token.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct IntrospectionResponse {
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
}

/// One public key of a JWK Set (RFC 7517); we publish Ed25519 keys (RFC 8037: `kty` OKP).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// Error codes of RFC 6749 §4.1.2.1 / §5.2, RFC 7591 §3.2.2 and RFC 8707 §2.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    InvalidRedirectUri,
    InvalidClientMetadata,
    InvalidTarget,
}

impl ErrorCode {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidTarget => "invalid_target",
        }
    }
}

/// The JSON error body of RFC 6749 §5.2.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OAuthErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl OAuthErrorBody {
    /// The body for `code`; the description is made [`error_description_text`].
    #[must_use]
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        let description = description.into();
        Self { error: code.as_str().to_owned(), error_description: Some(error_description_text(&description)) }
    }
}

/// RFC 6749 §5.2: `error_description` MUST stay within %x20-21 / %x23-5B / %x5D-7E (printable
/// ASCII without `"` and `\`). Descriptions often quote what the client sent, so a `"` becomes
/// `'` and any other character outside the set becomes `?`.
#[must_use]
pub fn error_description_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' => '\'',
            ' '..='~' if c != '\\' => c,
            _ => '?',
        })
        .collect()
}

/// Grant and response type names.
pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
pub const RESPONSE_TYPE_CODE: &str = "code";
pub const AUTH_METHOD_NONE: &str = "none";
pub const AUTH_METHOD_CLIENT_SECRET_BASIC: &str = "client_secret_basic";
pub const AUTH_METHOD_CLIENT_SECRET_POST: &str = "client_secret_post";
/// Client authentication methods of the token and revocation endpoints (RFC 6749 §2.3.1).
pub const CLIENT_AUTH_METHODS: &[&str] =
    &[AUTH_METHOD_NONE, AUTH_METHOD_CLIENT_SECRET_BASIC, AUTH_METHOD_CLIENT_SECRET_POST];
/// OpenID Connect Dynamic Client Registration §2 application types.
pub const APPLICATION_TYPE_WEB: &str = "web";
pub const APPLICATION_TYPE_NATIVE: &str = "native";
pub const TOKEN_TYPE_BEARER: &str = "Bearer";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_response_needs_only_a_client_id() {
        // RFC 7591 §3.2.1: client_id is the one required member; other servers omit the rest.
        let minimal: ClientRegistrationResponse =
            serde_json::from_str(r#"{"client_id":"c1"}"#).expect("a minimal response parses");
        assert_eq!(minimal.client_id, "c1");
        assert_eq!(minimal.client_id_issued_at, None);
        assert_eq!(minimal.grant_types, vec![GRANT_AUTHORIZATION_CODE.to_owned()], "RFC 7591 §2 default");
        assert!(minimal.redirect_uris.is_empty() && minimal.token_endpoint_auth_method.is_empty());
        assert!(serde_json::from_str::<ClientRegistrationResponse>(r#"{"client_id_issued_at":1}"#).is_err());
    }

    #[test]
    fn error_codes_serialise_as_rfc_strings() {
        for code in [ErrorCode::InvalidGrant, ErrorCode::InvalidRedirectUri, ErrorCode::InvalidTarget] {
            let json = serde_json::to_value(code).expect("serialises");
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
        }
    }

    #[test]
    fn error_descriptions_keep_to_the_rfc_6749_character_set() {
        let body = OAuthErrorBody::new(ErrorCode::InvalidRequest, "parameter \"a\\b\" sent twice: é\n");
        assert_eq!(body.error_description.as_deref(), Some("parameter 'a?b' sent twice: ??"));
    }

    #[test]
    fn inactive_introspection_is_just_active_false() {
        let body = serde_json::to_string(&IntrospectionResponse::default()).expect("serialises");
        assert_eq!(body, r#"{"active":false}"#);
    }

    #[test]
    fn metadata_tolerates_missing_optional_fields() {
        let m: ProtectedResourceMetadata =
            serde_json::from_str(r#"{"resource":"https://rs.example/mcp"}"#).expect("parses");
        assert!(m.authorization_servers.is_empty());
    }
}
