//! Steps 6–7, on `/callback`: `client_core::flow::check_callback` checks the authorization
//! response against the pending flow (`state` first, then `error` and RFC 9207 `iss`), then
//! `client_core::flow::exchange` trades the code (PKCE verifier, `resource`) for tokens. The
//! pending record is removed between the two, so `state` and verifier can never be used twice.
//! A callback that does not match a login started in this tab never reaches the token endpoint
//! and changes nothing here. After a successful exchange the core stores the client
//! registration for reuse; when the server does not know the client (`invalid_client`) it is
//! forgotten, so that the next Connect registers again.

use client_core::authorize::state_matches;
use client_core::flow;
use client_core::token::{self, TokenKind};
pub use client_core::CallbackParams;

use super::Timeline;
use crate::browser;
use crate::error::ClientError;
use crate::http::Fetch;
use crate::storage::{self, PendingFlow, Registrations, Session};

/// Checks the callback and, if it belongs to our pending flow, exchanges the code.
/// On success the session is stored and the caller moves on to the console.
pub async fn complete(params: CallbackParams, pending: Option<PendingFlow>, t: Timeline) -> Result<(), ClientError> {
    let ours = pending.as_ref().is_some_and(|p| state_matches(&params, &p.authorization));
    let result = finish(&params, pending, t).await;
    if result.is_err() && ours {
        // A refused or broken login ends here: a tool call kept for a step-up is not retried
        // later. A forged callback changes nothing, so a login in progress can still finish.
        storage::clear_pending_call();
    }
    result
}

async fn finish(params: &CallbackParams, pending: Option<PendingFlow>, t: Timeline) -> Result<(), ClientError> {
    let code = match flow::check_callback(params, pending.as_ref().map(|p| &p.authorization), &t) {
        Ok(code) => code,
        Err(e) => {
            if let (Some(p), Some(_), false) = (&pending, &params.error, matches!(e, ClientError::StateMismatch)) {
                // The authorization server answered this login with an error: it is over.
                storage::clear_pending();
                if e.is_invalid_client() {
                    storage::forget_client(&p.authorization.credentials.client_id);
                }
            }
            return Err(e);
        }
    };
    let Some(pending) = pending else {
        return Err(ClientError::StateMismatch);
    };
    // Single use: from here on a reload of this page cannot replay state or verifier.
    storage::clear_pending();
    let authorization = &pending.authorization;
    let store = Registrations { redirect_uri: authorization.redirect_uri.clone() };
    let tokens = flow::exchange(&Fetch, authorization, &code, browser::now_ms(), &store, &t).await?;
    let session = Session::new(tokens, t.snapshot());
    // After a step-up (or a new login in this tab) the old session is superseded: end its grant
    // instead of leaving its refresh token alive until it expires.
    let superseded = storage::load_session().ok().flatten();
    storage::save_session(&session).inspect_err(|e| t.fail(super::ids::TOKEN, e.to_string()))?;
    if let Some(old) = superseded {
        end_superseded_grant(&old, &session).await;
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
    if let Err(e) = token::revoke(&Fetch, endpoint, &old.credentials, token, TokenKind::Refresh).await {
        leptos::logging::warn!("the superseded session's refresh token could not be revoked: {e}");
    }
}
