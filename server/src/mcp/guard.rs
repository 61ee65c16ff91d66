//! The bearer guard on `/mcp` (RFC 6750 §2.1 and §3, RFC 9728 §5.1): no token → 401 with a
//! challenge pointing at our metadata; bad token → 401 `invalid_token`; missing scope → 403
//! `insufficient_scope`, naming every scope the operation needs (a `tools/call` of a privileged
//! tool needs more than the endpoint; see `operation`), so the client can step up. A valid
//! token's [`AuthContext`] goes into the request extensions. Called by `edge`, with the rmcp
//! service to run when the request may go on.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{SessionId, SessionManager as _, StreamableHttpService};
use rmcp::ServerHandler;
use shared::challenge::{BearerChallenge, INSUFFICIENT_SCOPE, INVALID_REQUEST, INVALID_TOKEN};
use shared::oauth::{ErrorCode, OAuthErrorBody};
use tower::Service as _;

use super::operation;
use super::service::UserDataServer;
use super::sessions::{Ownership, SessionOwners};
use super::verifier::{AuthContext, Rejected, Verifier};
use crate::config::Settings;

const SESSION_HEADER: &str = "mcp-session-id";
use crate::store::now;

/// The rmcp service behind the guard: the user-data tools (`H` = [`UserDataServer`]; test builds
/// also serve a fixture service).
pub type McpService<H = UserDataServer> = StreamableHttpService<H, LocalSessionManager>;

pub struct GuardState {
    pub settings: Arc<Settings>,
    pub verifier: Arc<Verifier>,
    /// Who owns each session, for those this process has not seen (opened on another replica).
    pub sessions: Arc<SessionOwners>,
    pub store: crate::store::SharedStore,
    /// rmcp's sessions of `/mcp`, to close those whose owner entry was evicted.
    pub manager: Arc<LocalSessionManager>,
}

pub async fn require_bearer<H: ServerHandler + Send + 'static>(
    guard: &GuardState,
    req: Request,
    next: McpService<H>,
) -> Response {
    let settings = &guard.settings;
    if req.method() == axum::http::Method::OPTIONS {
        return run(next, req).await;
    }
    // RFC 6750 §2.3 tokens in the URI leak into logs and history: refused outright.
    if req.uri().query().is_some_and(|q| url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "access_token")) {
        return challenge(
            settings,
            StatusCode::BAD_REQUEST,
            Some(INVALID_REQUEST),
            "access tokens are not accepted in the URL",
        );
    }
    let Some(auth) = req.headers().get(header::AUTHORIZATION) else {
        return challenge(settings, StatusCode::UNAUTHORIZED, None, "an access token is required");
    };
    let token = match auth.to_str().ok().and_then(|v| v.split_once(' ')) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && is_token68(token.trim()) => {
            token.trim().to_owned()
        }
        Some((scheme, _)) if !scheme.eq_ignore_ascii_case("bearer") => {
            return challenge(settings, StatusCode::UNAUTHORIZED, None, "use the Bearer scheme");
        }
        _ => {
            return challenge(
                settings,
                StatusCode::UNAUTHORIZED,
                Some(INVALID_TOKEN),
                "the Authorization header is malformed",
            )
        }
    };
    match guard.verifier.verify(&token, settings, now()).await {
        Ok(ctx) => {
            // The scopes depend on the operation: a privileged tool call needs more than the endpoint.
            let (req, needed) = match operation::scopes_needed(req, &ctx.scopes).await {
                Ok(found) => found,
                Err(resp) => return resp,
            };
            if !needed.is_subset_of(&ctx.scopes) {
                tracing::info!(user_id = %ctx.user_id, needed = %needed, "step-up needed: token lacks a scope");
                // The challenge names every scope the operation needs, so the client can ask for them all.
                return challenge_for(
                    settings,
                    StatusCode::FORBIDDEN,
                    Some(INSUFFICIENT_SCOPE),
                    "the access token lacks a scope this operation needs",
                    &needed.to_string(),
                );
            }
            serve_as(guard, ctx, req, next).await
        }
        Err(Rejected::Invalid(why)) => challenge(settings, StatusCode::UNAUTHORIZED, Some(INVALID_TOKEN), why),
        Err(Rejected::Unavailable) => {
            let body =
                OAuthErrorBody::new(ErrorCode::TemporarilyUnavailable, "the token could not be verified; try again");
            let mut resp = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            resp
        }
    }
}

/// Runs the request as `ctx`'s user, keeping MCP sessions bound to the user who opened them.
async fn serve_as<H: ServerHandler + Send + 'static>(
    guard: &GuardState,
    ctx: Arc<AuthContext>,
    mut req: Request,
    next: McpService<H>,
) -> Response {
    let sessions = &guard.sessions;
    let user_id = ctx.user_id.clone();
    let named = req.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(session) = &named {
        let ownership = match sessions.check(session, &user_id) {
            Ownership::Unknown => shared_ownership(guard, session, &user_id).await,
            known => known,
        };
        if ownership == Ownership::Stranger {
            tracing::warn!(user_id, "request named another user's MCP session");
            return (StatusCode::NOT_FOUND, "Session not found").into_response();
        }
    }
    let ending = req.method() == axum::http::Method::DELETE;
    req.extensions_mut().insert(ctx);
    let resp = run(next, req).await;
    match (&named, resp.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok())) {
        (Some(session), _) if ending && resp.status().is_success() => sessions.forget(session),
        (None, Some(created)) => {
            // Recorded in the store before the client can learn the id (it is in this response).
            match guard.store.claim_mcp_session(created, &user_id, now()).await {
                Ok(true) => {}
                Ok(false) => tracing::error!("a new MCP session id was already owned by another user"),
                Err(e) => tracing::warn!(error = %e, "could not share the MCP session's owner with other replicas"),
            }
            if let Some(evicted) = sessions.record(created, &user_id) {
                close_evicted(guard.manager.clone(), evicted);
            }
        }
        _ => {}
    }
    resp
}

async fn run<H: ServerHandler + Send + 'static>(mut mcp: McpService<H>, req: Request) -> Response {
    match mcp.call(req).await {
        Ok(resp) => resp.map(Body::new),
        Err(never) => match never {},
    }
}

/// The owner of a session this process does not know, from the store: another replica opened
/// it, or this process forgot it. `Unknown` when the store has no such session (rmcp then
/// answers 404 itself); a session whose owner is not recorded is nobody's to use.
async fn shared_ownership(guard: &GuardState, session: &str, user_id: &str) -> Ownership {
    match guard.store.find_mcp_session(session, now()).await {
        Ok(None) => Ownership::Unknown,
        Ok(Some(found)) if found.user_id.as_deref() == Some(user_id) => {
            if let Some(evicted) = guard.sessions.record(session, user_id) {
                close_evicted(guard.manager.clone(), evicted);
            }
            Ownership::Owner
        }
        Ok(Some(_)) => Ownership::Stranger,
        Err(e) => {
            tracing::warn!(error = %e, "could not look up an MCP session's owner");
            Ownership::Stranger
        }
    }
}

/// Ends in rmcp a session whose owner entry made room for a newer one (see `sessions`).
fn close_evicted(manager: Arc<LocalSessionManager>, session: String) {
    tokio::spawn(async move {
        if let Err(e) = manager.close_session(&SessionId::from(session)).await {
            tracing::warn!(error = %e, "could not close an evicted MCP session");
        }
    });
}

/// RFC 7235 token68: what a bearer token may contain.
fn is_token68(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 4096
        && t.trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

fn challenge(settings: &Settings, status: StatusCode, error: Option<&str>, description: &str) -> Response {
    challenge_for(settings, status, error, description, &shared::scopes::MCP_REQUIRED.join(" "))
}

/// The challenge with `scope` set to what the refused operation needs.
fn challenge_for(
    settings: &Settings,
    status: StatusCode,
    error: Option<&str>,
    description: &str,
    scope: &str,
) -> Response {
    let metadata = shared::urls::Url::parse(&settings.resource)
        .map(|u| shared::urls::protected_resource_metadata_url(&u))
        .unwrap_or_default();
    let value = BearerChallenge {
        error: error.map(str::to_owned),
        error_description: error.map(|_| description.to_owned()),
        scope: Some(scope.to_owned()),
        resource_metadata: Some(metadata),
        ..Default::default()
    }
    .to_header_value();
    // RFC 6750 §3.1: a request without credentials gets the challenge and no error details.
    let mut resp = match error {
        Some(code) => {
            (status, Json(OAuthErrorBody { error: code.to_owned(), error_description: Some(description.to_owned()) }))
                .into_response()
        }
        None => status.into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}
