//! Handlers of the authorization flow. Client and redirect-URI problems get an HTML error page
//! and are never redirected; everything after that is reported to the client's redirect URI.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use shared::oauth::ErrorCode;

use super::{csrf, render, session, sign_in};
use crate::http::client_addr::client_ip;
use crate::http::AppState;
use crate::oauth::authorize::{self, Rejection};
use crate::oauth::params::Params;
use crate::oauth::secrets;
use crate::store::{now, AuditEvent, AuthRequest, User};

/// After this many wrong passwords the pending request is discarded.
const MAX_FAILED_LOGINS: i64 = 5;
/// What a sign-in that found every password-hashing permit busy is told (with 503).
const RETRY_AFTER_SECS: &str = "1";
const GENERIC_FAILURE: &str = "Invalid username or password.";
const STALE_REQUEST: &str = "This sign-in request has expired or was already used.";

pub async fn authorize(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let valid = match authorize::validate(&*state.store, &state.clients, &state.settings, query.as_bytes()).await {
        Ok(v) => v,
        Err(Rejection::Page(message)) => return render::error(StatusCode::BAD_REQUEST, &message),
        Err(Rejection::Redirect(location)) => return render::found(&location),
    };
    let client_name = render::client_display_name(Some(&valid.client));
    let (secret, csrf_cookie) = csrf::ensure(&headers, &state.settings.cookies);
    let signed_in = session::current_user(&state, &headers).await;
    let user_id = signed_in.as_ref().map(|u| u.id.clone());
    let pending = match authorize::begin(&*state.store, valid, secrets::hash(&secret), user_id, now()).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "could not store authorization request");
            return render::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server could not start the sign-in; try again.",
            );
        }
    };
    // The forms carry a token bound to this request, never the cookie's secret itself.
    let token = csrf::request_token(&state.settings.cookies, &secret, &pending.id);
    let resp = match signed_in {
        // A login session skips the password; remembered consent skips the consent page too.
        Some(user) => after_sign_in(&state, &pending, &user, &client_name, &token).await,
        None => {
            let page = render::LoginPage {
                client_name: &client_name,
                resource: &pending.resource,
                request_id: &pending.id,
                csrf: &token,
                username: "",
                error: None,
            };
            render::page(StatusCode::OK, &page)
        }
    };
    with_cookie(resp, csrf_cookie)
}

/// 503 with `Retry-After`: the password checks are all busy, which is load, not an error.
fn busy() -> Response {
    let mut resp = render::error(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server is busy checking other sign-ins. Try again in a moment.",
    );
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
    resp
}

fn with_cookie(mut resp: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, cookie);
    }
    resp
}

/// The consent page, or straight back to the client when this user already allowed these scopes.
async fn after_sign_in(
    state: &AppState,
    pending: &AuthRequest,
    user: &User,
    client_name: &str,
    csrf: &str,
) -> Response {
    match authorize::consent_remembered(&*state.store, &user.id, pending).await {
        Ok(true) => decide(state, &pending.id, &user.id, Decision::Allow { remember: false }).await,
        Ok(false) => render::page(StatusCode::OK, &render::consent(pending, client_name, &user.username, csrf)),
        Err(e) => {
            tracing::error!(error = %e, "could not look up remembered consent");
            render::page(StatusCode::OK, &render::consent(pending, client_name, &user.username, csrf))
        }
    }
}

/// Reads the form and the pending request it names, and checks the CSRF binding.
async fn pending_from_form(
    state: &AppState,
    headers: &HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<(Params, AuthRequest), Response> {
    let form = super::read_form(headers, raw).map_err(|resp| *resp)?;
    let id = form.get("request_id").unwrap_or_default();
    let pending = match state.store.find_auth_request(id, now()).await {
        Ok(Some(p)) => p,
        Ok(None) => return Err(render::error(StatusCode::BAD_REQUEST, STALE_REQUEST)),
        Err(e) => {
            tracing::error!(error = %e, "could not load authorization request");
            return Err(render::error(StatusCode::SERVICE_UNAVAILABLE, "The server could not continue; try again."));
        }
    };
    if !csrf::check(headers, &state.settings.cookies, form.get("csrf"), &pending) {
        tracing::warn!(client_id = %pending.client_id, "form rejected: CSRF check failed");
        return Err(render::error(
            StatusCode::FORBIDDEN,
            "The form is not valid for this browser (CSRF check failed).",
        ));
    }
    Ok((form, pending))
}

async fn client_name(state: &AppState, client_id: &str) -> String {
    render::client_display_name(state.clients.find(&*state.store, client_id).await.ok().flatten().as_ref())
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Response {
    // First of all, so that a flood finding every permit busy costs no database work.
    let Ok(permit) = state.passwords.try_permit() else {
        tracing::warn!("every password-hashing permit is in use; sign-in refused with 503");
        return busy();
    };
    let (form, pending) = match pending_from_form(&state, &headers, raw).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let csrf = form.get("csrf").unwrap_or_default();
    let username = form.get("username").unwrap_or_default();
    let password = form.get("password").unwrap_or_default();
    let name = client_name(&state, &pending.client_id).await;
    let login_again = |status: StatusCode, error: &str| {
        let page = render::LoginPage {
            client_name: &name,
            resource: &pending.resource,
            request_id: &pending.id,
            csrf,
            username,
            error: Some(error),
        };
        render::page(status, &page)
    };

    let client = client_ip(peer.ip(), &headers, &state.settings.trusted_proxies);
    let user = match sign_in::check(&state, permit, client, username, password).await {
        sign_in::Outcome::SignedIn(user) => user,
        sign_in::Outcome::Throttled(message) => return login_again(StatusCode::TOO_MANY_REQUESTS, &message),
        sign_in::Outcome::Unavailable => {
            return render::error(StatusCode::SERVICE_UNAVAILABLE, "The server could not check the sign-in; try again.")
        }
        sign_in::Outcome::Failed => {
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
            return login_again(StatusCode::UNAUTHORIZED, GENERIC_FAILURE);
        }
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
    let session_cookie = session::start(&state, &user.id).await;
    let pending = AuthRequest { user_id: Some(user.id.clone()), ..pending };
    with_cookie(after_sign_in(&state, &pending, &user, &name, csrf).await, session_cookie)
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
    let decision = if decision == Some("allow") { Decision::Allow { remember: true } } else { Decision::Deny };
    decide(&state, &pending.id, &user_id, decision).await
}

enum Decision {
    /// `remember`: store the consent so this user is not asked again for these scopes.
    Allow {
        remember: bool,
    },
    Deny,
}

/// Consumes the pending request and redirects back to the client with a code or `access_denied`.
async fn decide(state: &AppState, request_id: &str, user_id: &str, decision: Decision) -> Response {
    // Taking the request makes the decision single-use, even under concurrent submissions.
    let pending = match state.store.take_auth_request(request_id, now()).await {
        Ok(Some(p)) => p,
        Ok(None) => return render::error(StatusCode::BAD_REQUEST, STALE_REQUEST),
        Err(e) => {
            tracing::error!(error = %e, "could not consume authorization request");
            return render::error(StatusCode::SERVICE_UNAVAILABLE, "The server could not continue; try again.");
        }
    };
    let settings = &state.settings;
    let refuse = |code: ErrorCode, description: &str| {
        render::found(&authorize::error_redirect(
            &pending.redirect_uri,
            code,
            description,
            pending.state.as_deref(),
            &settings.issuer,
        ))
    };
    let remember = match decision {
        Decision::Deny => {
            let detail = "denied on consent page";
            state.store.audit(AuditEvent::AuthorizationDenied, Some(user_id), Some(&pending.client_id), detail).await;
            return refuse(ErrorCode::AccessDenied, "the user denied the request");
        }
        Decision::Allow { remember } => remember,
    };
    if remember {
        if let Err(e) = authorize::remember_consent(&*state.store, user_id, &pending, now()).await {
            tracing::warn!(error = %e, "could not remember consent");
        }
    }
    match authorize::approve(&*state.store, settings, &pending, user_id, now()).await {
        Ok(location) => render::found(&location),
        Err(e) => {
            tracing::error!(error = %e, "could not issue authorization code");
            refuse(ErrorCode::ServerError, "the server could not issue a code")
        }
    }
}
