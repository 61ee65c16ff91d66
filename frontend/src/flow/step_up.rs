//! Step-up authorization (MCP authorization, "Scope Challenge Handling"). When a tool call is
//! refused with 403 `insufficient_scope`, `client_core::flow::begin_step_up` asks the
//! authorization server for the union of the session's scopes and the challenged ones (new PKCE
//! verifier and `state`, the same `resource` and client). The refused call is kept in
//! `sessionStorage`; `/callback` finishes the login like any other, and the console retries the
//! kept call once (`storage::take_pending_call` removes it as it reads it): the step-up limit,
//! so a second refusal is shown as an error instead of sending the user round again.

use client_core::flow::{self, LoginContext};

use super::{discovery, Timeline};
use crate::browser;
use crate::error::ClientError;
use crate::http::Fetch;
use crate::storage::{self, PendingCall, Registrations, Session};

/// Keeps `call` and leaves for the authorization server to ask for `call.scope` on top of the
/// session's scopes. Returns only on failure (on success the page is gone).
pub async fn reauthorize(session: &Session, call: PendingCall, t: Timeline) -> Result<(), ClientError> {
    let client = discovery::client_config()?;
    let store = Registrations { redirect_uri: client.redirect_uri.clone() };
    let mut random = browser::random_source()?;
    let ctx = LoginContext { client: &client, store: &store, random: &mut random, observer: &t };
    let method = format!("tools/call {}", call.tool);
    let pending = flow::begin_step_up(&Fetch, &session.tokens, &method, &call.scope, 0, ctx).await?;
    storage::save_pending_call(&call)?;
    discovery::leave(pending, t).inspect_err(|_| storage::clear_pending_call())
}
