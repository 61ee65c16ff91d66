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
use crate::oauth::introspection;
use crate::store::now;

pub fn routes() -> Router<AppState> {
    Router::new().route(shared::urls::INTROSPECT, post(introspect))
}

/// The `Authorization: Basic` value the resource server sends.
pub fn basic_credentials(secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{RS_INTROSPECTION_CLIENT}:{secret}")))
}

/// HTTP Basic (RFC 7617; scheme case-insensitive) with our id and secret, compared in constant
/// time. RFC 6749 §2.3.1 form-encodes both parts before base64, so they are decoded here.
fn caller_is_resource_server(headers: &HeaderMap, secret: &str) -> bool {
    let Some((scheme, encoded)) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()?.split_once(' '))
    else {
        return false;
    };
    let Some(decoded) = STANDARD.decode(encoded.trim()).ok().and_then(|d| String::from_utf8(d).ok()) else {
        return false;
    };
    let Some((id, presented)) = decoded.split_once(':') else {
        return false;
    };
    let unescape =
        |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    let (Some(id), Some(presented)) = (unescape(id), unescape(presented)) else {
        return false;
    };
    scheme.eq_ignore_ascii_case("basic")
        & (id == RS_INTROSPECTION_CLIENT)
        & shared::pkce::constant_time_eq(presented.as_bytes(), secret.as_bytes())
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
    let answer = introspection::introspect(&state.store, &state.settings, token, now()).await?;
    Ok(no_store(Json(answer).into_response()))
}
