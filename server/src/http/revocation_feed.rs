//! `GET /revocations?after=<id>`: the revocation log for resource servers deployed apart from
//! this authorization server (their own database), authenticated like introspection. Oldest
//! first, at most [`PAGE`] entries; the caller asks again with the last id it got.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shared::oauth::{RevocationEntry, RevocationFeed};

use super::introspect::caller_is_resource_server;
use super::AppState;
use crate::error::{no_store, Error};

/// Entries per answer.
pub const PAGE: i64 = 1000;

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: i64,
}

pub fn routes() -> Router<AppState> {
    Router::new().route(shared::urls::REVOCATIONS, get(feed))
}

async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<After>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Error> {
    if !caller_is_resource_server(&headers, &state.settings.introspection_secret) {
        return Err(Error::ClientAuth);
    }
    let Query(After { after }) = query.map_err(|_| Error::invalid_request("after must be a whole number"))?;
    let rows = state.store.revocations_after(after, PAGE).await?;
    let revocations = rows
        .into_iter()
        .map(|r| RevocationEntry { id: r.id, kind: r.kind.as_str().into(), value: r.value, revoked_at: r.revoked_at })
        .collect();
    Ok(no_store(Json(RevocationFeed { revocations }).into_response()))
}
