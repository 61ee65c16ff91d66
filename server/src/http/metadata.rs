//! Discovery documents: RFC 8414 authorization server metadata (also at the OpenID path) and
//! RFC 9728 protected resource metadata (path-aware and root).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use shared::oauth::{
    AuthorizationServerMetadata, ProtectedResourceMetadata, CLIENT_AUTH_METHODS, GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN, RESPONSE_TYPE_CODE,
};
use shared::{pkce, scopes, urls};

use super::AppState;

pub fn as_routes() -> Router<AppState> {
    Router::new()
        .route(urls::JWKS, get(jwks))
        .route(urls::AS_METADATA, get(authorization_server))
        .route(urls::OPENID_CONFIGURATION, get(authorization_server))
}

pub fn rs_routes() -> Router<AppState> {
    let path_aware = format!("{}{}", urls::PROTECTED_RESOURCE_METADATA, urls::MCP);
    Router::new()
        .route(&path_aware, get(protected_resource))
        .route(urls::PROTECTED_RESOURCE_METADATA, get(protected_resource))
}

pub fn authorization_server_metadata(issuer: &str) -> AuthorizationServerMetadata {
    let strs = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    AuthorizationServerMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint: format!("{issuer}{}", urls::AUTHORIZE),
        token_endpoint: format!("{issuer}{}", urls::TOKEN),
        registration_endpoint: Some(format!("{issuer}{}", urls::REGISTER)),
        introspection_endpoint: Some(format!("{issuer}{}", urls::INTROSPECT)),
        revocation_endpoint: Some(format!("{issuer}{}", urls::REVOKE)),
        jwks_uri: Some(format!("{issuer}{}", urls::JWKS)),
        revocation_endpoint_auth_methods_supported: strs(CLIENT_AUTH_METHODS),
        scopes_supported: strs(scopes::SUPPORTED),
        response_types_supported: strs(&[RESPONSE_TYPE_CODE]),
        response_modes_supported: strs(&["query"]),
        grant_types_supported: strs(&[GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN]),
        token_endpoint_auth_methods_supported: strs(CLIENT_AUTH_METHODS),
        introspection_endpoint_auth_methods_supported: strs(&["client_secret_basic"]),
        code_challenge_methods_supported: strs(&[pkce::METHOD_S256]),
        authorization_response_iss_parameter_supported: true,
        client_id_metadata_document_supported: true,
    }
}

async fn jwks(State(state): State<AppState>) -> Json<shared::oauth::JwkSet> {
    Json(state.keys.current().jwks())
}

async fn authorization_server(State(state): State<AppState>) -> Json<AuthorizationServerMetadata> {
    Json(authorization_server_metadata(&state.settings.issuer))
}

async fn protected_resource(State(state): State<AppState>) -> Json<ProtectedResourceMetadata> {
    Json(ProtectedResourceMetadata {
        resource: state.settings.resource.clone(),
        authorization_servers: vec![state.settings.issuer.clone()],
        scopes_supported: scopes::SUPPORTED.iter().map(|s| (*s).to_owned()).collect(),
        bearer_methods_supported: vec!["header".into()],
        resource_name: Some("MCP user data server".into()),
    })
}
