//! `POST /register` (RFC 7591).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
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
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let req: ClientRegistrationRequest =
        body::json(&headers, raw, |d| Error::bad_request(ErrorCode::InvalidClientMetadata, d))?;
    let registered = registration::register(&state.store, req, now()).await?;
    Ok(no_store((StatusCode::CREATED, Json(registered)).into_response()))
}
