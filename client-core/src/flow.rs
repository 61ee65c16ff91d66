//! The login as a sequence of visible steps, the same for every front end: the unauthenticated
//! MCP request, the protected resource metadata, the AS metadata, the client identity, the
//! authorization request; after the redirect, the callback checks and the code exchange. Each
//! step is reported to an [`Observer`] as pending, then ok (with a sentence naming the HTTP
//! status and URL) or error, with the HTTP exchanges it made; the first failure stops the flow.

mod login;

use crate::authorize::{self, CallbackParams, PendingAuthorization};
use crate::discovery::{self, Challenge};
use crate::error::CoreError;
use crate::http::HttpClient;
use crate::identity::{self, ClientConfig, CredentialStore};
use crate::scope;
use crate::token::{self, Session};
use crate::trace::Recorder;
use login::{drive, Login, Next, Stage};

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
    s.report(ids::UNAUTHENTICATED_REQUEST, TITLE_UNAUTH, StepStatus::Pending, pending);
    let probe = discovery::probe_request(&mcp);
    let mut login = Login::new(ctx, mcp.to_string(), String::new());
    login.stage = Stage::Probe(mcp);
    drive(&s, login, Ok(Next::Send("the MCP server", probe))).await
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
    let mut login = Login::new(ctx, mcp.to_string(), String::new());
    let first = login.challenged(&s, mcp, challenge);
    drive(&s, login, first).await
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
    let union = Some(union);
    let mut login = Login::new(ctx, session.mcp_url.clone(), session.issuer.clone());
    login.resource = session.resource.clone();
    login.scopes = Some((union.clone(), union));
    let first = login.metadata(&s);
    drive(&s, login, first).await
}
