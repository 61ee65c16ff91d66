//! The server-rendered authorization pages: `/authorize` shows the login page, the login form
//! leads to the consent page, and the consent form ends in a 302 back to the client.
//!
//! Every page is unframeable and uncacheable; every form is bound to the browser that opened
//! `/authorize` by a CSRF secret in an `HttpOnly` cookie. Passwords are never logged.

mod account;
pub mod cookies;
mod csrf;
mod flow;
mod render;
mod session;
mod sign_in;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::Error;
use crate::http::AppState;
use crate::oauth::params::Params;

pub fn routes() -> Router<AppState> {
    let pages = Router::new()
        .route(shared::urls::AUTHORIZE, get(flow::authorize))
        .route(shared::urls::AUTHORIZE_LOGIN, post(flow::login))
        .route(shared::urls::AUTHORIZE_CONSENT, post(flow::consent))
        .route("/account", get(account::show))
        .route("/account/revoke", post(account::revoke))
        .route("/account/logout", post(account::logout))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")));
    pages.route("/assets/pages.css", get(stylesheet))
}

async fn stylesheet() -> impl axum::response::IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../templates/pages.css"),
    )
}

/// A page's form body. Too large: the same 413 with an RFC 6749 §5.2 JSON body as every other
/// endpoint gives; otherwise unreadable: a 400 error page.
fn read_form(headers: &HeaderMap, raw: Result<Bytes, BytesRejection>) -> Result<Params, Box<Response>> {
    crate::http::body::form(headers, raw).map_err(|e| {
        Box::new(match e {
            Error::OAuth { status: StatusCode::PAYLOAD_TOO_LARGE, .. } => e.into_response(),
            _ => render::error(StatusCode::BAD_REQUEST, "The form could not be read."),
        })
    })
}
