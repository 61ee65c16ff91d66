//! `POST /register` (RFC 7591).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use shared::oauth::{ClientRegistrationRequest, ErrorCode};

use super::{body, AppState};
use crate::error::{no_store, Error};
use crate::oauth::registration;
use crate::store::now;

pub fn routes() -> Router<AppState> {
    Router::new().route(shared::urls::REGISTER, post(register))
}

async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let client = super::client_addr::client_ip(peer.ip(), &headers, &state.settings.trusted_proxies);
    if let Err(wait) = state.registrations.check(&*state.store, client, now()).await? {
        tracing::warn!(%client, "dynamic registration rate limit reached");
        let body = shared::oauth::OAuthErrorBody::new(
            ErrorCode::TemporarilyUnavailable,
            "too many registrations from this address; try again later",
        );
        let mut resp = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(&wait.to_string()) {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(no_store(resp));
    }
    let req: ClientRegistrationRequest =
        body::json(&headers, raw, |d| Error::bad_request(ErrorCode::InvalidClientMetadata, d))?;
    let registered = registration::register(&*state.store, req, &state.settings.private_use_schemes, now()).await?;
    Ok(no_store((StatusCode::CREATED, Json(registered)).into_response()))
}
