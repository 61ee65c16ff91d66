//! `/account`: the signed-in user sees which applications they allowed, can revoke any of them
//! (which also revokes that application's tokens), and can sign out of the login session.

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::{csrf, render, session};
use crate::http::AppState;
use crate::store::{now, AuditEvent};

pub struct GrantRow {
    pub client_id: String,
    pub name: String,
    pub scope: String,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    pub username: Option<&'a str>,
    pub grants: Vec<GrantRow>,
    pub csrf: &'a str,
    pub notice: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<Notice>) -> Response {
    let (secret, cookie) = csrf::ensure(&headers, &state.settings.cookies);
    // Bound to this browser's login session: a planted CSRF cookie is no use without it.
    let secret = csrf::account_token(&state.settings.cookies, &headers, &secret);
    let notice = match q.done.as_deref() {
        Some("revoked") => Some("Access revoked. The application's tokens no longer work."),
        Some("signed_out") => Some("You have signed out."),
        _ => None,
    };
    let Some(user) = session::current_user(&state, &headers).await else {
        let page = AccountPage { username: None, grants: Vec::new(), csrf: &secret, notice };
        return with(render::page(StatusCode::OK, &page), cookie);
    };
    let grants = match state.store.list_grants(&user.id).await {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(error = %e, "could not list grants");
            return render::error(StatusCode::SERVICE_UNAVAILABLE, "Your applications could not be listed; try again.");
        }
    };
    let grants = grants
        .into_iter()
        .map(|g| GrantRow {
            name: g.client_name.unwrap_or_else(|| "An unnamed application".into()),
            client_id: g.client_id,
            scope: g.scope,
        })
        .collect();
    let page = AccountPage { username: Some(&user.username), grants, csrf: &secret, notice };
    with(render::page(StatusCode::OK, &page), cookie)
}

fn with(mut resp: Response, cookie: Option<axum::http::HeaderValue>) -> Response {
    if let Some(c) = cookie {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    resp
}

/// Reads a CSRF-checked form.
fn checked_form(
    state: &AppState,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<crate::oauth::params::Params, Box<Response>> {
    let form = super::read_form(headers, raw)?;
    if !csrf::check_account(headers, &state.settings.cookies, form.get("csrf")) {
        let page = render::error(StatusCode::FORBIDDEN, "The form is not valid for this browser (CSRF check failed).");
        return Err(Box::new(page));
    }
    Ok(form)
}

pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Response {
    let form = match checked_form(&state, &headers, raw) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let Some(user) = session::current_user(&state, &headers).await else {
        return render::error(StatusCode::UNAUTHORIZED, "Sign in first.");
    };
    let client_id = form.get("client_id").unwrap_or_default();
    match state.store.revoke_grant(&user.id, client_id, now()).await {
        Ok(true) => {
            state.metrics.revocations.inc();
            state
                .store
                .audit(AuditEvent::TokenRevoked, Some(&user.id), Some(client_id), "grant revoked by the user")
                .await;
            render::found("/account?done=revoked")
        }
        Ok(false) => render::error(StatusCode::NOT_FOUND, "That application has no access to revoke."),
        Err(e) => {
            tracing::error!(error = %e, "could not revoke grant");
            render::error(StatusCode::SERVICE_UNAVAILABLE, "The access could not be revoked; try again.")
        }
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Response {
    if let Err(resp) = checked_form(&state, &headers, raw) {
        return *resp;
    }
    let cookie = session::end(&state, &headers).await;
    with(render::found("/account?done=signed_out"), cookie)
}
