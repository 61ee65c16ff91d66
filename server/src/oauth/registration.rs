//! Dynamic client registration (RFC 7591) for public clients.

use shared::oauth::{
    ClientRegistrationRequest, ClientRegistrationResponse, ErrorCode, AUTH_METHOD_NONE, GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN, RESPONSE_TYPE_CODE,
};
use shared::scopes::{self, ScopeSet};
use sqlx::types::Json;

use crate::error::Error;
use crate::store::{AuditEvent, Client, Store};

const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_LEN: usize = 2000;
const MAX_NAME_LEN: usize = 200;

fn metadata_error(description: impl Into<String>) -> Error {
    Error::bad_request(ErrorCode::InvalidClientMetadata, description)
}

/// Validates the request, stores the client and returns what was registered.
pub async fn register(
    store: &Store,
    req: ClientRegistrationRequest,
    now: i64,
) -> Result<ClientRegistrationResponse, Error> {
    let client = validate(req, now)?;
    store.insert_client(&client).await?;
    store
        .audit(AuditEvent::ClientRegistered, None, Some(&client.client_id), client.client_name.as_deref().unwrap_or(""))
        .await;
    Ok(ClientRegistrationResponse {
        client_id: client.client_id,
        client_id_issued_at: now,
        client_secret: None,
        client_secret_expires_at: None,
        redirect_uris: client.redirect_uris.0,
        client_name: client.client_name,
        client_uri: client.client_uri,
        grant_types: client.grant_types.0,
        response_types: client.response_types.0,
        token_endpoint_auth_method: client.token_endpoint_auth_method,
        scope: client.scope,
    })
}

fn validate(req: ClientRegistrationRequest, now: i64) -> Result<Client, Error> {
    if req.redirect_uris.is_empty() {
        return Err(Error::bad_request(ErrorCode::InvalidRedirectUri, "redirect_uris is required"));
    }
    if req.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(Error::bad_request(
            ErrorCode::InvalidRedirectUri,
            format!("at most {MAX_REDIRECT_URIS} redirect_uris"),
        ));
    }
    for uri in &req.redirect_uris {
        if uri.len() > MAX_URI_LEN {
            return Err(Error::bad_request(ErrorCode::InvalidRedirectUri, "redirect URI is too long"));
        }
        shared::urls::validate_redirect_uri(uri)
            .map_err(|e| Error::bad_request(ErrorCode::InvalidRedirectUri, format!("redirect URI {uri:?} {e}")))?;
    }
    let method = req.token_endpoint_auth_method.as_deref().unwrap_or(AUTH_METHOD_NONE);
    if method != AUTH_METHOD_NONE {
        return Err(metadata_error(format!(
            "token_endpoint_auth_method {method:?} is not supported; register a public client with \"none\""
        )));
    }
    // Keep only grants we implement (RFC 7591 §3.2.1 lets the server return what it registered).
    let grant_types = req.grant_types.unwrap_or_else(|| vec![GRANT_AUTHORIZATION_CODE.into()]);
    if !grant_types.iter().any(|g| g == GRANT_AUTHORIZATION_CODE) {
        return Err(metadata_error("grant_types must include authorization_code"));
    }
    let mut grant_types: Vec<String> = [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN]
        .into_iter()
        .filter(|supported| grant_types.iter().any(|g| g == supported))
        .map(str::to_owned)
        .collect();
    grant_types.dedup();
    let response_types = req.response_types.unwrap_or_else(|| vec![RESPONSE_TYPE_CODE.into()]);
    if response_types.iter().any(|r| r != RESPONSE_TYPE_CODE) {
        return Err(metadata_error("only the \"code\" response type is supported"));
    }
    let scope = match req.scope.as_deref() {
        None => None,
        Some(s) => {
            let set = ScopeSet::parse(s).ok_or_else(|| metadata_error("scope is malformed"))?;
            let unknown = set.unknown_in(scopes::SUPPORTED);
            if !unknown.is_empty() {
                return Err(metadata_error(format!("unknown scope(s): {}", unknown.join(" "))));
            }
            (!set.is_empty()).then(|| set.to_string())
        }
    };
    let client_name = match req.client_name {
        Some(n) if n.chars().count() > MAX_NAME_LEN || n.chars().any(char::is_control) => {
            return Err(metadata_error(format!("client_name must be at most {MAX_NAME_LEN} printable characters")))
        }
        other => other.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
    };
    if let Some(uri) = &req.client_uri {
        let ok = url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) && uri.len() <= MAX_URI_LEN;
        if !ok {
            return Err(metadata_error("client_uri must be an http(s) URL"));
        }
    }
    Ok(Client {
        client_id: format!("c_{}", crate::oauth::secrets::random_token()),
        client_name,
        client_uri: req.client_uri,
        redirect_uris: Json(req.redirect_uris),
        grant_types: Json(grant_types),
        response_types: Json(vec![RESPONSE_TYPE_CODE.into()]),
        token_endpoint_auth_method: AUTH_METHOD_NONE.into(),
        scope,
        created_at: now,
    })
}
