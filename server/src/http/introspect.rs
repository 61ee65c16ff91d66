//! `POST /introspect` (RFC 7662), for the resource server only: callers authenticate with HTTP
//! Basic credentials (`mcp-resource-server` and the configured secret).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{body, AppState};
use crate::config::RS_INTROSPECTION_CLIENT;
use crate::error::{no_store, Error};
use crate::oauth::clients::authentication;
use crate::oauth::introspection;
use crate::store::now;

pub fn routes() -> Router<AppState> {
    Router::new().route(shared::urls::INTROSPECT, post(introspect))
}

/// The `Authorization: Basic` value the resource server sends.
pub fn basic_credentials(secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{RS_INTROSPECTION_CLIENT}:{secret}")))
}

/// HTTP Basic with our id and secret (parsed like a client's credentials at /token), the secret
/// compared in constant time.
pub(super) fn caller_is_resource_server(headers: &HeaderMap, secret: &str) -> bool {
    let Some((id, presented)) =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(authentication::parse_basic)
    else {
        return false;
    };
    (id == RS_INTROSPECTION_CLIENT) & shared::pkce::constant_time_eq(presented.as_bytes(), secret.as_bytes())
}

async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    if !caller_is_resource_server(&headers, &state.settings.introspection_secret) {
        return Err(Error::ClientAuth);
    }
    let form = body::form(&headers, raw)?;
    let token = form.get("token").ok_or_else(|| Error::invalid_request("token is required"))?;
    let answer = introspection::introspect(&*state.store, &state.settings, token, now()).await?;
    Ok(no_store(Json(answer).into_response()))
}
