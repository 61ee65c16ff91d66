//! Step-up authorization (MCP authorization, "Scope Challenge Handling"). When a tool call is
//! refused with 403 `insufficient_scope`, the console hands the challenge here: the refused call
//! is kept in `sessionStorage`, and the browser goes back to the authorization server (new PKCE
//! verifier and `state`, the same `resource`) asking for the union of the session's scopes and
//! the challenged ones. `/callback` finishes it like any login, and the console then retries the
//! kept call once (`storage::take_pending_call` removes it as it reads it), so a second refusal
//! is shown as an error instead of sending the user round again.

use shared::scopes;
use shared::urls;

use super::discovery;
use super::ids::STEP_UP;
use super::Timeline;
use crate::browser;
use crate::error::ClientError;
use crate::storage::{self, PendingCall, PendingFlow, Session};

const TITLE_STEP_UP: &str = "More permission needed (403 insufficient_scope)";

/// Keeps `call` and leaves for the authorization server to ask for `challenged` on top of the
/// session's scopes. Returns only on failure (on success the page is gone).
pub async fn reauthorize(session: &Session, call: PendingCall, t: Timeline) -> Result<(), ClientError> {
    let have = session.scope.clone().unwrap_or_default();
    t.start(STEP_UP, TITLE_STEP_UP, String::new());
    let Some(union) = scopes::step_up_scope(session.scope.as_deref(), &call.scope) else {
        let e = ClientError::message(format!(
            "The MCP server refused {} and asks for scope \"{}\", which this session already has (\"{have}\"). \
             Asking again would not help, so the call was not retried.",
            call.tool, call.scope
        ));
        t.fail(STEP_UP, e.to_string());
        return Err(e);
    };
    t.ok(
        STEP_UP,
        format!(
            "tools/call {} → 403 with WWW-Authenticate error=\"insufficient_scope\", scope=\"{}\". This session has \
             scope \"{have}\", so this app asks the authorization server for \"{union}\" and retries the call once \
             after you allow it. The call is kept in sessionStorage meanwhile.",
            call.tool, call.scope
        ),
    );
    let asm = discovery::authorization_server_metadata(&session.issuer, t).await?;
    let redirect_uri = format!("{}{}", browser::origin()?, urls::SPA_CALLBACK);
    let registration = discovery::register(&asm, &redirect_uri, &union.to_string(), t).await?;
    let pending = PendingFlow {
        state: String::new(),
        verifier: String::new(),
        client_id: registration.client_id.clone(),
        issuer: asm.issuer.clone(),
        token_endpoint: asm.token_endpoint.clone(),
        revocation_endpoint: asm.revocation_endpoint.clone(),
        resource: session.resource.clone().unwrap_or_else(|| session.mcp_url.clone()),
        mcp_url: session.mcp_url.clone(),
        redirect_uri,
        scope: union.to_string(),
        iss_required: asm.authorization_response_iss_parameter_supported,
        timeline: Vec::new(),
        registration: Some(registration),
    };
    storage::save_pending_call(&call)?;
    discovery::authorize_redirect(&asm, pending, t).inspect_err(|_| storage::clear_pending_call())
}
