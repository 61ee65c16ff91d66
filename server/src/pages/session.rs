//! The login session cookie: after a successful password check the browser gets a random
//! session id (only its hash is stored), so the next authorization skips the password.

use axum::http::{HeaderMap, HeaderValue};

use super::cookies;
use crate::http::AppState;
use crate::oauth::secrets;
use crate::store::{now, User};

/// How long a login session lasts.
pub const TTL_SECS: i64 = 8 * 3600;

/// The signed-in user of this browser, if any.
pub async fn current_user(state: &AppState, headers: &HeaderMap) -> Option<User> {
    let id = state.settings.cookies.read(headers, cookies::SESSION)?;
    match state.store.login_session_user(&secrets::hash(&id), now()).await {
        Ok(user) => user,
        Err(e) => {
            tracing::warn!(error = %e, "login session lookup failed");
            None
        }
    }
}

/// Starts a session for `user_id`; returns the `Set-Cookie` value.
pub async fn start(state: &AppState, user_id: &str) -> Option<HeaderValue> {
    let id = secrets::random_token();
    if let Err(e) = state.store.create_login_session(&secrets::hash(&id), user_id, now(), TTL_SECS).await {
        tracing::warn!(error = %e, "could not start a login session");
        return None;
    }
    state.settings.cookies.set(cookies::SESSION, &id, TTL_SECS)
}

/// Ends this browser's session; returns the `Set-Cookie` value that deletes the cookie.
pub async fn end(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    if let Some(id) = state.settings.cookies.read(headers, cookies::SESSION) {
        if let Err(e) = state.store.delete_login_session(&secrets::hash(&id)).await {
            tracing::warn!(error = %e, "could not end a login session");
        }
    }
    state.settings.cookies.set(cookies::SESSION, "", 0)
}
