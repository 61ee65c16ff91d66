//! Handlers of the authorization flow. Client and redirect-URI problems get an HTML error page
//! and are never redirected; everything after that is reported to the client's redirect URI.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use shared::oauth::ErrorCode;

use super::{csrf, render};
use crate::error::Error;
use crate::http::{body, AppState};
use crate::oauth::authorize::{self, Rejection};
use crate::oauth::params::Params;
use crate::oauth::password::verify_password;
use crate::store::{now, AuditEvent, AuthRequest};

/// After this many wrong passwords the pending request is discarded.
const MAX_FAILED_LOGINS: i64 = 5;
const GENERIC_FAILURE: &str = "Invalid username or password.";
const STALE_REQUEST: &str = "This sign-in request has expired or was already used.";

pub async fn authorize(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let valid = match authorize::validate(&state.store, &state.settings, query.as_bytes()).await {
        Ok(v) => v,
        Err(Rejection::Page(message)) => return render::error(StatusCode::BAD_REQUEST, &message),
        Err(Rejection::Redirect(location)) => return render::found(&location),
    };
    let client_name = render::client_display_name(Some(&valid.client));
    let (secret, set_cookie) = csrf::ensure(&headers, state.settings.secure_cookies);
    let pending = match authorize::begin(&state.store, valid, crate::oauth::secrets::hash(&secret), now()).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "could not store authorization request");
            return render::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server could not start the sign-in; try again.",
            );
        }
    };
    let page = render::LoginPage {
        client_name: &client_name,
        resource: &pending.resource,
        request_id: &pending.id,
        csrf: &secret,
        username: "",
        error: None,
    };
    let mut resp = render::page(StatusCode::OK, &page);
    if let Some(cookie) = set_cookie {
        resp.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    resp
}

/// Reads the form and the pending request it names, and checks the CSRF binding.
async fn pending_from_form(
    state: &AppState,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<(Params, AuthRequest), Response> {
    let form = body::form(headers, raw).map_err(|e| match e {
        Error::OAuth { status: StatusCode::PAYLOAD_TOO_LARGE, .. } => {
            render::error(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.")
        }
        _ => render::error(StatusCode::BAD_REQUEST, "The form could not be read."),
    })?;
    let id = form.get("request_id").unwrap_or_default();
    let pending = match state.store.find_auth_request(id, now()).await {
        Ok(Some(p)) => p,
        Ok(None) => return Err(render::error(StatusCode::BAD_REQUEST, STALE_REQUEST)),
        Err(e) => {
            tracing::error!(error = %e, "could not load authorization request");
            return Err(render::error(StatusCode::SERVICE_UNAVAILABLE, "The server could not continue; try again."));
        }
    };
    if !csrf::check(headers, state.settings.secure_cookies, form.get("csrf"), &pending.csrf_hash) {
        tracing::warn!(client_id = %pending.client_id, "form rejected: CSRF check failed");
        return Err(render::error(
            StatusCode::FORBIDDEN,
            "The form is not valid for this browser (CSRF check failed).",
        ));
    }
    Ok((form, pending))
}

async fn client_name(state: &AppState, client_id: &str) -> String {
    render::client_display_name(state.store.find_client(client_id).await.ok().flatten().as_ref())
}

pub async fn login(State(state): State<AppState>, headers: HeaderMap, raw: Result<Bytes, BytesRejection>) -> Response {
    let (form, pending) = match pending_from_form(&state, &headers, raw).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let csrf = form.get("csrf").unwrap_or_default();
    let username = form.get("username").unwrap_or_default();
    let password = form.get("password").unwrap_or_default();
    let name = client_name(&state, &pending.client_id).await;

    let user = state.store.find_user_by_username(username).await.ok().flatten();
    let password_ok = verify_password(password, user.as_ref().map(|u| u.password_hash.as_str()));
    let user = user.filter(|u| password_ok && u.status == "active");
    let Some(user) = user else {
        let failures = state.store.bump_failed_logins(&pending.id).await.unwrap_or(MAX_FAILED_LOGINS);
        let detail = format!("failed attempt {failures} on this request");
        state.store.audit(AuditEvent::LoginFailed, None, Some(&pending.client_id), &detail).await;
        if failures >= MAX_FAILED_LOGINS {
            let _ = state.store.delete_auth_request(&pending.id).await;
            return render::error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed sign-in attempts. Start again from the application.",
            );
        }
        let page = render::LoginPage {
            client_name: &name,
            resource: &pending.resource,
            request_id: &pending.id,
            csrf,
            username,
            error: Some(GENERIC_FAILURE),
        };
        return render::page(StatusCode::UNAUTHORIZED, &page);
    };
    if pending.user_id.as_deref().is_some_and(|u| u != user.id) {
        return render::error(StatusCode::BAD_REQUEST, STALE_REQUEST);
    }
    if pending.user_id.is_none() {
        if let Err(e) = state.store.set_auth_request_user(&pending.id, &user.id).await {
            tracing::warn!(error = %e, "could not attach user to authorization request");
            return render::error(StatusCode::BAD_REQUEST, STALE_REQUEST);
        }
        if let Err(e) = state.store.record_login(&user.id, now()).await {
            tracing::warn!(error = %e, "could not record login");
        }
    }
    tracing::info!(user_id = %user.id, client_id = %pending.client_id, "user signed in");
    render::page(StatusCode::OK, &render::consent(&pending, &name, &user.username, csrf))
}

pub async fn consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    let (form, pending) = match pending_from_form(&state, &headers, raw).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(user_id) = pending.user_id.clone() else {
        return render::error(StatusCode::BAD_REQUEST, "Sign in before deciding on access.");
    };
    let decision = form.get("decision");
    if !matches!(decision, Some("allow" | "deny")) {
        return render::error(StatusCode::BAD_REQUEST, "Choose Allow or Deny.");
    }
    // Taking the request makes the decision single-use, even under concurrent submissions.
    let pending = match state.store.take_auth_request(&pending.id, now()).await {
        Ok(Some(p)) => p,
        Ok(None) => return render::error(StatusCode::BAD_REQUEST, STALE_REQUEST),
        Err(e) => {
            tracing::error!(error = %e, "could not consume authorization request");
            return render::error(StatusCode::SERVICE_UNAVAILABLE, "The server could not continue; try again.");
        }
    };
    let settings = &state.settings;
    if decision == Some("deny") {
        state
            .store
            .audit(AuditEvent::AuthorizationDenied, Some(&user_id), Some(&pending.client_id), "denied on consent page")
            .await;
        let location = authorize::error_redirect(
            &pending.redirect_uri,
            ErrorCode::AccessDenied,
            "the user denied the request",
            pending.state.as_deref(),
            &settings.issuer,
        );
        return render::found(&location);
    }
    match authorize::approve(&state.store, settings, &pending, &user_id, now()).await {
        Ok(location) => render::found(&location),
        Err(e) => {
            tracing::error!(error = %e, "could not issue authorization code");
            let location = authorize::error_redirect(
                &pending.redirect_uri,
                ErrorCode::ServerError,
                "the server could not issue a code",
                pending.state.as_deref(),
                &settings.issuer,
            );
            render::found(&location)
        }
    }
}
