//! Steps 6–7, on `/callback`: check the authorization response against the pending flow
//! (`state` first, then `error` and RFC 9207 `iss`), then exchange the code at the token endpoint with the
//! PKCE verifier and `resource`, and save the session. The pending record is removed before the
//! exchange, so `state` and verifier can never be used twice. The session also keeps the refresh
//! token when the server issues one (`flow::refresh` uses it). A callback that does not match a
//! login started in this tab never reaches the token endpoint.
//!
//! After a successful exchange the client registration is stored for reuse (`crate::storage`).
//! When the server does not know the client (`invalid_client`, e.g. its database was reset), the
//! stored registration is forgotten so that the next Connect registers again.

use shared::oauth::{AuthorizationCodeTokenRequest, ErrorCode, GRANT_AUTHORIZATION_CODE};
use shared::pkce::constant_time_eq;

use super::ids::{CALLBACK, TOKEN};
use super::Timeline;
use crate::api;
use crate::browser;
use crate::error::ClientError;
use crate::storage::{self, PendingFlow, Session};

/// The query parameters of the authorization response (RFC 6749 §4.1.2, RFC 9207).
#[derive(Clone, Debug, Default)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub iss: Option<String>,
}

const STATE_MISMATCH: &str = "State mismatch: this callback does not belong to a login started in this tab, so it was \
                              refused as forged and nothing in it was used.";

/// Said when the server does not know the stored `client_id`.
pub const REGISTRATION_NOT_RECOGNISED: &str =
    "The stored client registration was not recognised; press Connect to register again.";

const TITLE_CALLBACK: &str = "Back from the authorization server";
const TITLE_TOKEN: &str = "Exchange the code for an access token";

/// Checks the callback and, if it belongs to our pending flow, exchanges the code.
/// On success the session is stored and the caller moves on to the console.
pub async fn complete(params: CallbackParams, pending: Option<PendingFlow>, t: Timeline) -> Result<(), ClientError> {
    let ours = pending.as_ref().is_some_and(|p| state_matches(&params, p));
    let result = finish(params, pending, t).await;
    if result.is_err() && ours {
        // A refused or broken login ends here: a tool call kept for a step-up is not retried
        // later. A forged callback changes nothing, so a login in progress can still finish.
        storage::clear_pending_call();
    }
    result
}

/// Whether the callback carries the pending flow's `state` (compared in constant time).
fn state_matches(params: &CallbackParams, pending: &PendingFlow) -> bool {
    params.state.as_deref().is_some_and(|s| constant_time_eq(s.as_bytes(), pending.state.as_bytes()))
}

async fn finish(params: CallbackParams, pending: Option<PendingFlow>, t: Timeline) -> Result<(), ClientError> {
    t.start(CALLBACK, TITLE_CALLBACK, "Reading the authorization response…");
    let checked = check(&params, pending);
    let (pending, code) = checked.inspect_err(|e| t.fail(CALLBACK, e.to_string()))?;
    // Single use: from here on a reload of this page cannot replay state or verifier.
    storage::clear_pending();
    let iss_text = match &params.iss {
        Some(iss) => format!(" The iss parameter ({iss}) matches the issuer (RFC 9207)."),
        None => String::new(),
    };
    t.ok(
        CALLBACK,
        format!(
            "The authorization server redirected back to {} with an authorization code; state matches the one saved \
             before the redirect.{iss_text}",
            pending.redirect_uri
        ),
    );
    let endpoint = pending.token_endpoint.clone();
    let pending_text = format!("POST {endpoint} (grant_type=authorization_code, with the PKCE verifier)…");
    let session = t
        .step(TOKEN, TITLE_TOKEN, pending_text, async {
            let request = AuthorizationCodeTokenRequest {
                grant_type: GRANT_AUTHORIZATION_CODE.to_owned(),
                code,
                redirect_uri: pending.redirect_uri.clone(),
                client_id: pending.client_id.clone(),
                code_verifier: pending.verifier.clone(),
                resource: Some(pending.resource.clone()),
            };
            let got = api::oauth::exchange_code(&endpoint, &request).await.map_err(|e| match e {
                ClientError::OAuth { ref error, .. } if error == ErrorCode::InvalidClient.as_str() => {
                    storage::forget_client(&pending.client_id);
                    ClientError::message(format!("{e}. {REGISTRATION_NOT_RECOGNISED}"))
                }
                other => other,
            })?;
            let token = got.value;
            let scope = token.scope.clone().unwrap_or_else(|| pending.scope.clone());
            let refresh_text = match token.refresh_token {
                Some(_) => " Also received a refresh token, to renew it without logging in again.",
                None => " No refresh token was issued: when it expires you log in again.",
            };
            let detail = format!(
                "POST {endpoint} with code, code_verifier and resource {} → {}. Received a {} access token for scope \
                 \"{scope}\", valid for {} s.{refresh_text}",
                pending.resource, got.status, token.token_type, token.expires_in
            );
            let session = pending.session_template().with_tokens(token, browser::now_ms());
            Ok((session, detail))
        })
        .await?;
    let session = Session { timeline: t.snapshot(), ..session };
    // After a step-up (or a new login in this tab) the old session is superseded: end its grant
    // instead of leaving its refresh token alive until it expires.
    let superseded = storage::load_session().ok().flatten();
    storage::save_session(&session).inspect_err(|e| t.fail(TOKEN, e.to_string()))?;
    if let Some(old) = superseded {
        end_superseded_grant(&old, &session).await;
    }
    // The registration worked: keep it, so the next Connect reuses it (and the consent given to it).
    if let Some(registration) = &pending.registration {
        if let Err(e) = storage::save_registration(registration) {
            leptos::logging::warn!("the client registration could not be stored for reuse: {e}");
        }
    }
    Ok(())
}

/// Revokes `old`'s refresh token (RFC 7009), which ends its grant; best effort, since the new
/// session works either way.
async fn end_superseded_grant(old: &Session, new: &Session) {
    let (Some(endpoint), Some(token)) = (old.revocation_endpoint.as_deref(), old.refresh_token.as_deref()) else {
        return;
    };
    if new.refresh_token.as_deref() == Some(token) {
        return;
    }
    if let Err(e) = api::oauth::revoke(endpoint, &old.client_id, token, api::oauth::TokenKind::Refresh).await {
        leptos::logging::warn!("the superseded session's refresh token could not be revoked: {e}");
    }
}

/// Validates the authorization response; returns the pending flow and the code. `state` comes
/// first: a callback without this tab's state is forged (an attacker's link, a stale tab) however
/// it looks, so its `error` is neither shown nor acted on, and the pending flow and the stored
/// registrations stay as they are; otherwise one link could cancel a login in progress.
fn check(params: &CallbackParams, pending: Option<PendingFlow>) -> Result<(PendingFlow, String), ClientError> {
    let Some(pending) = pending.filter(|p| state_matches(params, p)) else {
        return Err(ClientError::message(STATE_MISMATCH));
    };
    if let Some(error) = &params.error {
        storage::clear_pending();
        if error == ErrorCode::InvalidClient.as_str() {
            storage::forget_client(&pending.client_id);
        }
        return Err(ClientError::message(describe_error(error, params.error_description.as_deref())));
    }
    match &params.iss {
        Some(iss) if iss != &pending.issuer => {
            return Err(ClientError::message(format!(
                "Issuer mismatch: the callback says it comes from {iss}, but this login was started with {} (RFC \
                 9207). The code was not used. Please connect again.",
                pending.issuer
            )));
        }
        None if pending.iss_required => {
            return Err(ClientError::message(format!(
                "The callback has no iss parameter although {} promises one (RFC 9207). The code was not used. Please \
                 connect again.",
                pending.issuer
            )));
        }
        _ => {}
    }
    match params.code.clone().filter(|c| !c.is_empty()) {
        Some(code) => Ok((pending, code)),
        None => Err(ClientError::message("The callback has no authorization code. Please connect again.")),
    }
}

fn describe_error(error: &str, description: Option<&str>) -> String {
    let mut text = if error == ErrorCode::AccessDenied.as_str() {
        "Access was denied: you declined the request on the consent page.".to_owned()
    } else if error == ErrorCode::InvalidClient.as_str() {
        format!("The authorization server refused the request: {error}. {REGISTRATION_NOT_RECOGNISED}")
    } else {
        format!("The authorization server refused the request: {error}.")
    };
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        text.push_str(&format!(" ({d})"));
    }
    text
}
