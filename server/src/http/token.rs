//! `POST /token`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::{body, AppState};
use crate::error::{no_store, Error};
use crate::oauth::token;
use crate::store::now;

pub fn routes() -> Router<AppState> {
    Router::new().route(shared::urls::TOKEN, post(exchange))
}

async fn exchange(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let form = body::form(&headers, raw)?;
    // A header that is not even text still counts as presented (and fails authentication).
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or_default());
    let keys = state.keys.current();
    let issued = token::exchange(
        token::TokenContext {
            store: &*state.store,
            clients: &state.clients,
            settings: &state.settings,
            keys: &keys,
            metrics: &state.metrics,
        },
        &form,
        authorization,
        now(),
    )
    .await?;
    Ok(no_store(Json(issued).into_response()))
}
