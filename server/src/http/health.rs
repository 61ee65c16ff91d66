//! `GET /healthz` (the process answers) and `GET /readyz` (it can serve: the store answers a
//! trivial query and the signing keys are loaded), on both listeners, for load balancers and
//! orchestrators. No authentication, nothing secret in the answers, never cached.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use crate::error::no_store;

pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";

pub fn routes() -> Router<AppState> {
    Router::new().route(HEALTHZ, get(healthz)).route(READYZ, get(readyz))
}

async fn healthz() -> Response {
    no_store(Json(json!({"status": "ok"})).into_response())
}

/// 200 `{"status":"ok"}`, or 503 `{"status":"unavailable","not_ready":[...]}` naming each check
/// that failed (`store`, `signing_keys`); the failure's detail goes to the log only.
async fn readyz(State(state): State<AppState>) -> Response {
    let mut not_ready = Vec::new();
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "readiness: the store does not answer");
        not_ready.push("store");
    }
    let ring = state.keys.current();
    if ring.active_kid().is_empty() || ring.published_kids().next().is_none() {
        not_ready.push("signing_keys");
    }
    let resp = if not_ready.is_empty() {
        Json(json!({"status": "ok"})).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "not_ready": not_ready})))
            .into_response()
    };
    no_store(resp)
}
