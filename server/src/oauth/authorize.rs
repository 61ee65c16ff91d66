//! The authorization endpoint's rules (RFC 6749 §4.1.1–4.1.2, OAuth 2.1, RFC 7636, RFC 8707,
//! RFC 9207): validating a request, and turning a consent decision into a redirect.

use shared::oauth::ErrorCode;
use shared::pkce;
use shared::scopes::{self, ScopeSet};
use url::Url;

use super::params::Params;
use super::secrets;
use crate::config::Settings;
use crate::error::Error;
use crate::oauth::clients::directory::ClientDirectory;
use crate::store::{AuditEvent, AuthCode, AuthRequest, Client, Store};

/// How long a user may take between the login page and the consent decision.
pub const PENDING_TTL_SECS: i64 = 600;
const MAX_STATE_LEN: usize = 1024;

/// Why an authorization request was refused.
#[derive(Debug)]
pub enum Rejection {
    /// The client or redirect URI cannot be trusted: show an error page, never redirect.
    Page(String),
    /// A problem the client should hear about at its redirect URI (RFC 6749 §4.1.2.1).
    Redirect(String),
}

/// A request that passed validation, before anything is stored.
#[derive(Debug)]
pub struct ValidRequest {
    pub client: Client,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub resource: String,
}

/// Validates `/authorize` query parameters against the registered client.
pub async fn validate(
    store: &dyn Store,
    clients: &ClientDirectory,
    settings: &Settings,
    query: &[u8],
) -> Result<ValidRequest, Rejection> {
    let params = Params::parse(query)
        .map_err(|name| Rejection::Page(format!("The parameter {name:?} was sent more than once.")))?;
    let client_id = params.get("client_id").ok_or_else(|| Rejection::Page("The request has no client_id.".into()))?;
    let client = match clients.lookup(store, client_id).await {
        Ok(c) => c,
        Err(Error::NotFound) => {
            return Err(Rejection::Page(
                "This application is not registered with this server (unknown client_id).".into(),
            ))
        }
        // A Client ID Metadata Document that could not be fetched or is not acceptable. The
        // description never says how the URL resolved (see `cimd::fetch`), and the client_id is
        // not echoed: it is the requester's text, of any length.
        Err(Error::OAuth { code, description, .. }) => {
            return Err(Rejection::Page(format!(
                "This application's client_id cannot be used ({}): {description}.",
                code.as_str()
            )))
        }
        Err(e) => {
            tracing::error!(error = %e, "client lookup failed");
            return Err(Rejection::Page("The server could not look up the application; try again.".into()));
        }
    };
    let redirect_uri =
        params.get("redirect_uri").ok_or_else(|| Rejection::Page("The request has no redirect_uri.".into()))?;
    if !client.has_redirect_uri(redirect_uri) {
        return Err(Rejection::Page("The redirect_uri does not match any URI registered for this application.".into()));
    }
    let state = params.get("state").map(str::to_owned);
    let fail = |code: ErrorCode, description: &str| {
        Rejection::Redirect(error_redirect(redirect_uri, code, description, state.as_deref(), &settings.issuer))
    };
    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        return Err(fail(ErrorCode::InvalidRequest, "state is too long"));
    }
    match params.get("response_type") {
        Some("code") => {}
        None => return Err(fail(ErrorCode::InvalidRequest, "response_type is required")),
        Some(_) => return Err(fail(ErrorCode::UnsupportedResponseType, "only response_type=code is supported")),
    }
    let Some(code_challenge) = params.get("code_challenge") else {
        return Err(fail(ErrorCode::InvalidRequest, "code_challenge is required (PKCE)"));
    };
    if params.get("code_challenge_method") != Some(pkce::METHOD_S256) {
        return Err(fail(ErrorCode::InvalidRequest, "code_challenge_method must be S256"));
    }
    if !pkce::is_valid_challenge(code_challenge) {
        return Err(fail(ErrorCode::InvalidRequest, "code_challenge is not a valid S256 challenge"));
    }
    let scope = resolve_scope(params.get("scope"), &client).map_err(|d| fail(ErrorCode::InvalidScope, &d))?;
    let resource =
        resolve_resource(params.get("resource"), settings).map_err(|d| fail(ErrorCode::InvalidTarget, &d))?;
    Ok(ValidRequest {
        redirect_uri: redirect_uri.to_owned(),
        client,
        scope,
        state,
        code_challenge: code_challenge.to_owned(),
        resource,
    })
}

/// Requested scopes must be known and within what the client registered; none means the
/// client's registered scope, or `user`.
fn resolve_scope(requested: Option<&str>, client: &Client) -> Result<String, String> {
    let allowed =
        client.scope.as_deref().and_then(ScopeSet::parse).unwrap_or_else(|| ScopeSet::from_names(scopes::SUPPORTED));
    let Some(raw) = requested else {
        return Ok(client.scope.clone().unwrap_or_else(|| scopes::USER.to_owned()));
    };
    let set = ScopeSet::parse(raw).ok_or("scope is malformed")?;
    let unknown = set.unknown_in(scopes::SUPPORTED);
    if !unknown.is_empty() {
        return Err(format!("unknown scope(s): {}", unknown.join(" ")));
    }
    if !set.is_subset_of(&allowed) {
        return Err("scope exceeds what this client registered".into());
    }
    Ok(if set.is_empty() { scopes::USER.to_owned() } else { set.to_string() })
}

/// RFC 8707: the resource must be this server's MCP endpoint (with or without a trailing slash,
/// see [`shared::urls::names_resource`]); absent means that default. Tokens always name the
/// canonical form, which is what the resource server checks `aud` against.
pub fn resolve_resource(requested: Option<&str>, settings: &Settings) -> Result<String, String> {
    match requested {
        None => Ok(settings.resource.clone()),
        Some(raw) if shared::urls::names_resource(raw, &settings.resource) => Ok(settings.resource.clone()),
        Some(_) => Err(format!("unknown resource; this server issues tokens for {}", settings.resource)),
    }
}

/// Stores a validated request pending login, bound to the browser whose CSRF secret hashes to
/// `csrf_hash`.
/// `user_id` is set when the browser already has a login session.
pub async fn begin(
    store: &dyn Store,
    req: ValidRequest,
    csrf_hash: String,
    user_id: Option<String>,
    now: i64,
) -> Result<AuthRequest, Error> {
    let pending = AuthRequest {
        id: secrets::random_token(),
        csrf_hash,
        client_id: req.client.client_id,
        redirect_uri: req.redirect_uri,
        scope: req.scope,
        state: req.state,
        code_challenge: req.code_challenge,
        resource: req.resource,
        user_id,
        failed_logins: 0,
        created_at: now,
        expires_at: now + PENDING_TTL_SECS,
    };
    store.insert_auth_request(&pending).await?;
    Ok(pending)
}

/// Whether `user_id` already allowed this client every scope the request asks for.
pub async fn consent_remembered(store: &dyn Store, user_id: &str, req: &AuthRequest) -> Result<bool, Error> {
    let Some(remembered) = store.find_grant_scope(user_id, &req.client_id).await? else {
        return Ok(false);
    };
    let remembered = ScopeSet::parse(&remembered).unwrap_or_default();
    Ok(ScopeSet::parse(&req.scope).is_some_and(|asked| asked.is_subset_of(&remembered)))
}

/// Remembers that `user_id` allowed the request's scopes (added to any already remembered).
pub async fn remember_consent(store: &dyn Store, user_id: &str, req: &AuthRequest, now: i64) -> Result<(), Error> {
    let previous = store.find_grant_scope(user_id, &req.client_id).await?.unwrap_or_default();
    let union = format!("{previous} {}", req.scope);
    let union = ScopeSet::parse(&union).unwrap_or_default().to_string();
    store.save_grant(user_id, &req.client_id, &union, now).await
}

/// Issues a code for an approved request and returns the redirect URL.
pub async fn approve(
    store: &dyn Store,
    settings: &Settings,
    req: &AuthRequest,
    user_id: &str,
    now: i64,
) -> Result<String, Error> {
    let code = secrets::random_token();
    store
        .insert_code(&AuthCode {
            code_hash: secrets::hash(&code),
            client_id: req.client_id.clone(),
            user_id: user_id.to_owned(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.clone(),
            code_challenge: req.code_challenge.clone(),
            resource: req.resource.clone(),
            created_at: now,
            expires_at: now + settings.code_ttl,
            used_at: None,
        })
        .await?;
    store
        .audit(AuditEvent::AuthorizationGranted, Some(user_id), Some(&req.client_id), &format!("scope={}", req.scope))
        .await;
    let mut url = Url::parse(&req.redirect_uri).map_err(|e| Error::Internal(e.to_string()))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("code", &code);
        if let Some(state) = &req.state {
            q.append_pair("state", state);
        }
        q.append_pair("iss", &settings.issuer);
    }
    Ok(url.into())
}

/// The redirect for a refused request (`access_denied` and friends), with `state` and `iss`.
pub fn error_redirect(
    redirect_uri: &str,
    code: ErrorCode,
    description: &str,
    state: Option<&str>,
    issuer: &str,
) -> String {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("error", code.as_str());
        q.append_pair("error_description", description);
        if let Some(state) = state {
            q.append_pair("state", state);
        }
        q.append_pair("iss", issuer);
    }
    url.into()
}
