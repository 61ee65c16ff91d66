//! `POST /revoke` (RFC 7009).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use super::{body, AppState};
use crate::error::{no_store, Error};
use crate::oauth::revocation;
use crate::store::now;

pub fn routes() -> Router<AppState> {
    Router::new().route(shared::urls::REVOKE, post(revoke))
}

async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let form = body::form(&headers, raw)?;
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or_default());
    revocation::revoke(&*state.store, &state.clients, &state.metrics, &form, authorization, now()).await?;
    Ok(no_store(StatusCode::OK.into_response()))
}
