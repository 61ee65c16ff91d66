//! The login as a sequence of visible steps, the same for every front end: the unauthenticated
//! MCP request, the protected resource metadata, the AS metadata, the client identity, the
//! authorization request; after the redirect, the callback checks and the code exchange. Each
//! step is reported to an [`Observer`] as pending, then ok (with a sentence naming the HTTP
//! status and URL) or error, with the HTTP exchanges it made; the first failure stops the flow.

use shared::urls::Url;

use crate::authorize::{self, CallbackParams, PendingAuthorization};
use crate::discovery::{self, Challenge};
use crate::error::CoreError;
use crate::http::HttpClient;
use crate::identity::{self, ClientConfig, CredentialStore, Resolved};
use crate::scope;
use crate::token::{self, Session};
use crate::trace::Recorder;

pub use crate::step::{ids, Observer, Quiet, Step, StepStatus};

struct Steps<'a, H> {
    http: Recorder<&'a H>,
    obs: &'a dyn Observer,
}

impl<H: HttpClient> Steps<'_, H> {
    /// Not inlined: every step reports three times, and the step record is the same work each time.
    #[inline(never)]
    fn report(&self, id: &str, title: &str, status: StepStatus, detail: String) {
        let exchanges = if status == StepStatus::Pending { Vec::new() } else { self.http.take() };
        self.obs.step(&Step { id: id.into(), title: title.into(), status, detail, exchanges });
    }

    /// Ends one step: ok with the sentence `detail` makes of the result, or error. The caller
    /// reports pending and awaits the work itself, and the sentence comes from a plain `fn`: no
    /// per-step wrapper future, and no sentence code inside the poll functions.
    fn finish<T>(
        &self,
        id: &str,
        title: &str,
        result: Result<T, CoreError>,
        detail: fn(&T) -> String,
    ) -> Result<T, CoreError> {
        match &result {
            Ok(value) => self.report(id, title, StepStatus::Ok, detail(value)),
            Err(e) => self.fail(id, title, e),
        }
        result
    }

    #[inline(never)]
    fn fail(&self, id: &str, title: &str, e: &CoreError) {
        self.report(id, title, StepStatus::Error, e.to_string());
    }
}

const TITLE_UNAUTH: &str = "Call the MCP server without a token";
const TITLE_PRM: &str = "Read the protected resource metadata (RFC 9728)";
const TITLE_ASM: &str = "Read the authorization server metadata (RFC 8414)";
const TITLE_REGISTER: &str = "Register this app as an OAuth client (RFC 7591)";
const TITLE_AUTHORIZE: &str = "Send you to the authorization server to log in (PKCE S256)";
const TITLE_CALLBACK: &str = "Back from the authorization server";
const TITLE_TOKEN: &str = "Exchange the code for an access token";
const TITLE_STEP_UP: &str = "More permission needed (403 insufficient_scope)";

/// What a login needs from the caller besides the HTTP client.
pub struct LoginContext<'a> {
    pub client: &'a ClientConfig,
    pub store: &'a dyn CredentialStore,
    /// Fills a buffer with cryptographically secure random bytes.
    pub random: &'a mut dyn FnMut(&mut [u8]),
    pub observer: &'a dyn Observer,
}

/// Discovery, client identity and the authorization request; the caller then sends the user
/// to `authorization_url` and keeps the returned record until the callback.
pub async fn begin_login<H: HttpClient>(
    http: &H,
    mcp_input: &str,
    ctx: LoginContext<'_>,
) -> Result<PendingAuthorization, CoreError> {
    let s = Steps { http: Recorder::new(http), obs: ctx.observer };
    let mcp =
        discovery::parse_mcp_url(mcp_input).inspect_err(|e| s.fail(ids::UNAUTHENTICATED_REQUEST, TITLE_UNAUTH, e))?;
    let pending = format!("POST {mcp} (initialize) without an Authorization header…");
    let work = async { discovery::probe(&s.http, &mcp).await.map(|(c, _)| (c, mcp.to_string())) };
    s.report(ids::UNAUTHENTICATED_REQUEST, TITLE_UNAUTH, StepStatus::Pending, pending);
    let (challenge, _) = s.finish(ids::UNAUTHENTICATED_REQUEST, TITLE_UNAUTH, work.await, unauthenticated_detail)?;
    after_challenge(&s, &mcp, challenge, ctx).await
}

/// [`begin_login`] for a caller that already holds the 401 (an MCP request of its own was
/// refused; the server may let other requests, e.g. `initialize`, through without a token).
pub async fn begin_login_with_challenge<H: HttpClient>(
    http: &H,
    mcp_input: &str,
    challenge: Challenge,
    ctx: LoginContext<'_>,
) -> Result<PendingAuthorization, CoreError> {
    let s = Steps { http: Recorder::new(http), obs: ctx.observer };
    let mcp = discovery::parse_mcp_url(mcp_input)?;
    after_challenge(&s, &mcp, challenge, ctx).await
}

async fn after_challenge<H: HttpClient>(
    s: &Steps<'_, H>,
    mcp: &Url,
    challenge: Challenge,
    ctx: LoginContext<'_>,
) -> Result<PendingAuthorization, CoreError> {
    let prm_pending = format!("GET {}…", discovery::prm_urls(mcp, &challenge).join(", then "));
    let work = discovery::protected_resource_metadata(&s.http, mcp, &challenge);
    s.report(ids::PRM, TITLE_PRM, StepStatus::Pending, prm_pending);
    let (prm, _) = s.finish(ids::PRM, TITLE_PRM, work.await, prm_detail)?;
    let issuer = prm.authorization_servers.first().cloned().unwrap_or_default();
    let asm = as_metadata(s, &issuer).await?;
    let scope = scope::select(challenge.scope.as_deref(), &prm.scopes_supported, &asm.scopes_supported);
    let registration_scope = scope::registration_scope(scope.as_deref(), &prm.scopes_supported);
    let creds = identify(s, &asm, &ctx, registration_scope.as_deref()).await?;
    authorize_step(s, &asm, creds, mcp.as_str(), &prm.resource, scope, ctx.random)
}

/// The 401's sentence; `mcp` is the URL's text, carried along with the challenge.
fn unauthenticated_detail((challenge, mcp): &(Challenge, String)) -> String {
    let header = match (&challenge.www_authenticate, &challenge.resource_metadata) {
        (Some(raw), Some(url)) => format!("WWW-Authenticate: {raw}. Protected resource metadata: {url}."),
        (Some(raw), None) => {
            format!("WWW-Authenticate: {raw}; no resource_metadata, so the well-known URLs are tried.")
        }
        (None, _) => "no WWW-Authenticate header was visible; the well-known URLs are tried.".to_owned(),
    };
    let scope_text = challenge.scope.as_deref().map(|s| format!(" Required scope: \"{s}\".")).unwrap_or_default();
    format!("POST {mcp} without a token → 401. {header}{scope_text}")
}

fn prm_detail((prm, url): &(shared::oauth::ProtectedResourceMetadata, String)) -> String {
    format!(
        "GET {url} → 200. Resource: {}. Authorization server: {}. Scopes supported: {}.",
        prm.resource,
        prm.authorization_servers.first().map(String::as_str).unwrap_or_default(),
        if prm.scopes_supported.is_empty() { "(none listed)".to_owned() } else { prm.scopes_supported.join(" ") }
    )
}

fn asm_detail((asm, url): &(shared::oauth::AuthorizationServerMetadata, String)) -> String {
    format!(
        "GET {url} → 200. Issuer {} matches exactly; PKCE S256 is supported. Authorization endpoint: {}. Token \
         endpoint: {}.",
        asm.issuer, asm.authorization_endpoint, asm.token_endpoint
    )
}

async fn as_metadata<H: HttpClient>(
    s: &Steps<'_, H>,
    issuer: &str,
) -> Result<shared::oauth::AuthorizationServerMetadata, CoreError> {
    let first = Url::parse(issuer).map(|u| discovery::as_metadata_urls(&u).join(", then ")).unwrap_or_default();
    let work = discovery::authorization_server_metadata(&s.http, issuer);
    s.report(ids::AS_METADATA, TITLE_ASM, StepStatus::Pending, format!("GET {first}…"));
    Ok(s.finish(ids::AS_METADATA, TITLE_ASM, work.await, asm_detail)?.0)
}

async fn identify<H: HttpClient>(
    s: &Steps<'_, H>,
    asm: &shared::oauth::AuthorizationServerMetadata,
    ctx: &LoginContext<'_>,
    scope: Option<&str>,
) -> Result<identity::Credentials, CoreError> {
    let pending = match &asm.registration_endpoint {
        Some(endpoint) => format!("POST {endpoint} (unless a stored registration fits)…"),
        None => "Choosing the client identity…".to_owned(),
    };
    let work = identity::resolve(&s.http, asm, ctx.client, ctx.store, scope);
    s.report(ids::REGISTER, TITLE_REGISTER, StepStatus::Pending, pending);
    Ok(s.finish(ids::REGISTER, TITLE_REGISTER, work.await, identify_detail)?.0)
}

fn identify_detail((creds, how): &(identity::Credentials, Resolved)) -> String {
    match how {
        Resolved::PreRegistered => format!(
            "Using the pre-registered client_id {} (token endpoint auth: {}); no registration needed.",
            creds.client_id, creds.token_endpoint_auth_method
        ),
        Resolved::MetadataDocument => format!(
            "The authorization server supports Client ID Metadata Documents: client_id is this app's metadata URL \
             {}; no registration needed.",
            creds.client_id
        ),
        Resolved::Reused => format!(
            "Reused the stored client registration from an earlier login, without a new POST {}: client_id {}, \
             redirect URI {}, grant types {}. If you already allowed this app, the authorization server will not \
             ask again.",
            creds.registration_endpoint.as_deref().unwrap_or_default(),
            creds.client_id,
            creds.redirect_uri,
            creds.grant_types.join(", ")
        ),
        Resolved::Registered { endpoint } => format!(
            "POST {endpoint} → 201. Registered with redirect URI {} and grant types {} ({}). client_id: {}. The \
             registration is kept after the login succeeds, so the next Connect reuses it.",
            creds.redirect_uri,
            creds.grant_types.join(", "),
            if creds.client_secret.is_some() { "with a client secret" } else { "a public client, no secret" },
            creds.client_id
        ),
    }
}

fn authorize_step<H: HttpClient>(
    s: &Steps<'_, H>,
    asm: &shared::oauth::AuthorizationServerMetadata,
    creds: identity::Credentials,
    mcp_url: &str,
    resource: &str,
    scope: Option<String>,
    random: &mut dyn FnMut(&mut [u8]),
) -> Result<PendingAuthorization, CoreError> {
    s.report(
        ids::AUTHORIZE_REDIRECT,
        TITLE_AUTHORIZE,
        StepStatus::Pending,
        "Preparing the authorization request…".into(),
    );
    let pending = authorize::start(asm, creds, mcp_url, resource, scope, random)
        .inspect_err(|e| s.fail(ids::AUTHORIZE_REDIRECT, TITLE_AUTHORIZE, e))?;
    let scope_text = pending.scope.as_deref().map_or("no scope parameter".to_owned(), |s| format!("scope \"{s}\""));
    s.report(
        ids::AUTHORIZE_REDIRECT,
        TITLE_AUTHORIZE,
        StepStatus::Ok,
        format!(
            "Saved state and the PKCE verifier, then sending the browser to {} ({scope_text}, resource {}).",
            crate::trace::redact_url(&pending.authorization_url),
            pending.resource
        ),
    );
    Ok(pending)
}

/// The callback step alone: checks `state`, `error` and `iss`; returns the code. The caller
/// removes its pending record when this succeeds, before [`exchange`], so that `state` and
/// verifier are single use.
pub fn check_callback(
    params: &CallbackParams,
    pending: Option<&PendingAuthorization>,
    observer: &dyn Observer,
) -> Result<String, CoreError> {
    let report = |status, detail: String| {
        observer.step(&Step {
            id: ids::CALLBACK.into(),
            title: TITLE_CALLBACK.into(),
            status,
            detail,
            exchanges: vec![],
        });
    };
    report(StepStatus::Pending, "Reading the authorization response…".into());
    match authorize::check_callback(params, pending) {
        Ok(code) => {
            let iss_text = match &params.iss {
                Some(iss) => format!(" The iss parameter ({iss}) matches the issuer (RFC 9207)."),
                None => String::new(),
            };
            let to = pending.map(|p| p.redirect_uri.as_str()).unwrap_or_default();
            report(
                StepStatus::Ok,
                format!(
                    "The authorization server redirected back to {to} with an authorization code; state matches the \
                     one saved before the redirect.{iss_text}"
                ),
            );
            Ok(code)
        }
        Err(e) => {
            report(StepStatus::Error, e.to_string());
            Err(e)
        }
    }
}

/// The token step: exchanges the code; on success the credentials are saved for reuse, on
/// `invalid_client` they are forgotten.
pub async fn exchange<H: HttpClient>(
    http: &H,
    pending: &PendingAuthorization,
    code: &str,
    now_ms: i64,
    store: &dyn CredentialStore,
    observer: &dyn Observer,
) -> Result<Session, CoreError> {
    let s = Steps { http: Recorder::new(http), obs: observer };
    let endpoint = &pending.token_endpoint;
    let pending_text = format!("POST {endpoint} (grant_type=authorization_code, with the PKCE verifier)…");
    let work = token::exchange_code(&s.http, pending, code, now_ms);
    s.report(ids::TOKEN, TITLE_TOKEN, StepStatus::Pending, pending_text);
    let result = s.finish(ids::TOKEN, TITLE_TOKEN, work.await, token_detail);
    match &result {
        Ok(_) if pending.credentials.source == identity::CredentialSource::Dynamic => {
            store.save(&pending.credentials);
        }
        Err(e) if e.is_invalid_client() => store.forget(&pending.issuer, &pending.credentials.client_id),
        _ => {}
    }
    result
}

/// The session's own token endpoint and resource are the pending authorization's.
fn token_detail(session: &Session) -> String {
    let refresh_text = match session.refresh_token {
        Some(_) => " Also received a refresh token, to renew it without logging in again.",
        None => " No refresh token was issued: when it expires you log in again.",
    };
    format!(
        "POST {} with code, code_verifier and resource {} → 200. Received a Bearer access token for scope \"{}\", \
         valid for {} s.{refresh_text}",
        session.token_endpoint,
        session.resource,
        session.scope.as_deref().unwrap_or_default(),
        session.expires_in.unwrap_or_default()
    )
}

/// [`check_callback`] then [`exchange`] (for front ends with nothing to do in between).
pub async fn complete_login<H: HttpClient>(
    http: &H,
    params: &CallbackParams,
    pending: &PendingAuthorization,
    now_ms: i64,
    store: &dyn CredentialStore,
    observer: &dyn Observer,
) -> Result<Session, CoreError> {
    let code = check_callback(params, Some(pending), observer).inspect_err(|e| {
        if e.is_invalid_client() {
            store.forget(&pending.issuer, &pending.credentials.client_id);
        }
    })?;
    exchange(http, pending, &code, now_ms, store, observer).await
}

/// A step-up login for `session` after `method` was refused with 403 `insufficient_scope`
/// naming `challenged`: asks for the union with the granted scope (same resource, same
/// client when it still fits). `attempts` is how many step-ups this operation already made;
/// at the limit, or when the union adds nothing, the step fails instead of looping.
pub async fn begin_step_up<H: HttpClient>(
    http: &H,
    session: &Session,
    method: &str,
    challenged: &str,
    attempts: u32,
    ctx: LoginContext<'_>,
) -> Result<PendingAuthorization, CoreError> {
    let s = Steps { http: Recorder::new(http), obs: ctx.observer };
    s.report(ids::STEP_UP, TITLE_STEP_UP, StepStatus::Pending, String::new());
    // Text from here on, borrowed or moved: nothing owned but `union` lives across the awaits.
    let union = scope::step_up(method, session.scope.as_deref(), challenged, attempts)
        .inspect_err(|e| s.fail(ids::STEP_UP, TITLE_STEP_UP, e))?
        .to_string();
    let have = session.scope.as_deref().unwrap_or_default();
    s.report(
        ids::STEP_UP,
        TITLE_STEP_UP,
        StepStatus::Ok,
        format!(
            "{method} → 403 with WWW-Authenticate error=\"insufficient_scope\", scope=\"{challenged}\". This session \
             has scope \"{have}\", so this app asks the authorization server for \"{union}\" and retries the call once \
             after you allow it."
        ),
    );
    let asm = as_metadata(&s, &session.issuer).await?;
    let creds = identify(&s, &asm, &ctx, Some(&union)).await?;
    authorize_step(&s, &asm, creds, &session.mcp_url, &session.resource, Some(union), ctx.random)
}
