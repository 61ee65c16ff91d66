//! The login up to the authorization request as data ([`Login`]): each answer moves it on in
//! plain code, and [`drive`] is the one await that sends its requests. One async body for every
//! step (instead of one per step) is what keeps the login small in the SPA; every check stays in
//! `discovery`, `identity`, `scope` and `authorize`, and every sentence is here.

use shared::oauth::{AuthorizationServerMetadata, ProtectedResourceMetadata};
use shared::urls::Url;

use super::{ids, LoginContext, StepStatus, Steps};
use super::{TITLE_ASM, TITLE_AUTHORIZE, TITLE_PRM, TITLE_REGISTER, TITLE_UNAUTH};
use crate::authorize::{self, PendingAuthorization};
use crate::discovery::{self, Challenge, ASM_WHAT, PRM_WHAT};
use crate::error::CoreError;
use crate::http::{HttpClient, HttpRequest, HttpResponse};
use crate::identity::{self, Choice, Resolved, REGISTER_WHAT};
use crate::scope;
use crate::wire;

/// What the login does next.
pub(super) enum Next {
    /// Send the request (to the server `.0` names, for the error when it is unreachable) and
    /// give its answer to [`Login::answer`].
    Send(&'static str, HttpRequest),
    Done(Box<PendingAuthorization>),
}

/// What the request in flight asks (with what its answer needs).
pub(super) enum Stage {
    Probe(Url),
    Prm(Url),
    Asm,
    Register(Box<AuthorizationServerMetadata>, String),
}

/// The login up to the authorization request as data: every answer moves it on in plain code,
/// and [`drive`] is the one await that sends its requests (one async body for every step).
pub(super) struct Login<'a> {
    ctx: LoginContext<'a>,
    pub(super) stage: Stage,
    /// The step under way: the one a failure ends.
    step: (&'static str, &'static str),
    pub(super) mcp_url: String,
    /// The RFC 8707 resource (the PRM's; a step-up's session's).
    pub(super) resource: String,
    challenge_scope: Option<String>,
    prm_scopes: Vec<String>,
    issuer: String,
    /// The metadata URLs to try in order, and the index of the one in flight.
    candidates: Vec<String>,
    tried: usize,
    /// The scope to ask for and the one to register with, once known.
    pub(super) scopes: Option<(Option<String>, Option<String>)>,
}

/// Sends the login's requests until it is done; a failure ends the step under way.
pub(super) async fn drive<H: HttpClient>(
    s: &Steps<'_, H>,
    mut login: Login<'_>,
    mut next: Result<Next, CoreError>,
) -> Result<PendingAuthorization, CoreError> {
    loop {
        match next {
            Ok(Next::Send(what, req)) => {
                next = match wire::send(&s.http, what, req).await {
                    Ok(res) => login.answer(s, &res),
                    Err(e) => Err(e),
                };
            }
            Ok(Next::Done(pending)) => return Ok(*pending),
            Err(e) => {
                s.fail(login.step.0, login.step.1, &e);
                return Err(e);
            }
        }
    }
}

impl<'a> Login<'a> {
    pub(super) fn new(ctx: LoginContext<'a>, mcp_url: String, issuer: String) -> Self {
        Self {
            ctx,
            stage: Stage::Asm,
            step: (ids::UNAUTHENTICATED_REQUEST, TITLE_UNAUTH),
            mcp_url,
            resource: String::new(),
            challenge_scope: None,
            prm_scopes: Vec::new(),
            issuer,
            candidates: Vec::new(),
            tried: 0,
            scopes: None,
        }
    }

    fn answer<H: HttpClient>(&mut self, s: &Steps<'_, H>, res: &HttpResponse) -> Result<Next, CoreError> {
        match std::mem::replace(&mut self.stage, Stage::Asm) {
            Stage::Probe(mcp) => {
                let challenge = discovery::probe_answer(&mcp, res)?;
                let detail = unauthenticated_detail(&challenge, &self.mcp_url);
                s.report(ids::UNAUTHENTICATED_REQUEST, TITLE_UNAUTH, StepStatus::Ok, detail);
                self.challenged(s, mcp, challenge)
            }
            Stage::Prm(mcp) if res.status != 200 => {
                self.stage = Stage::Prm(mcp);
                self.next_candidate()
            }
            Stage::Prm(mcp) => {
                let url = self.candidates.get(self.tried).map(String::as_str).unwrap_or_default();
                let prm: ProtectedResourceMetadata = discovery::document(PRM_WHAT, url, res)?;
                discovery::check_prm(&mcp, &prm, url)?;
                s.report(ids::PRM, TITLE_PRM, StepStatus::Ok, prm_detail(&prm, url));
                self.issuer = prm.authorization_servers.first().cloned().unwrap_or_default();
                (self.resource, self.prm_scopes) = (prm.resource, prm.scopes_supported);
                self.metadata(s)
            }
            Stage::Asm if res.status != 200 => self.next_candidate(),
            Stage::Asm => {
                let url = self.candidates.get(self.tried).map(String::as_str).unwrap_or_default();
                let asm: AuthorizationServerMetadata = discovery::document(ASM_WHAT, url, res)?;
                discovery::check_asm(&asm, &self.issuer, url)?;
                s.report(ids::AS_METADATA, TITLE_ASM, StepStatus::Ok, asm_detail(&asm, url));
                self.identify(s, asm)
            }
            Stage::Register(asm, endpoint) => {
                let scope = self.scopes.as_ref().and_then(|(_, registration)| registration.as_deref());
                let creds = identity::registered(res, &endpoint, &asm, self.ctx.client, scope)?;
                let detail = identify_detail(&creds, &Resolved::Registered { endpoint });
                s.report(ids::REGISTER, TITLE_REGISTER, StepStatus::Ok, detail);
                self.authorize(s, &asm, creds)
            }
        }
    }

    /// The 401 is in hand: on to the protected resource metadata.
    pub(super) fn challenged<H: HttpClient>(
        &mut self,
        s: &Steps<'_, H>,
        mcp: Url,
        challenge: Challenge,
    ) -> Result<Next, CoreError> {
        let candidates = discovery::prm_urls(&mcp, &challenge);
        s.report(ids::PRM, TITLE_PRM, StepStatus::Pending, format!("GET {}…", candidates.join(", then ")));
        self.step = (ids::PRM, TITLE_PRM);
        self.challenge_scope = challenge.scope;
        self.stage = Stage::Prm(mcp);
        self.fetch(candidates)
    }

    /// The issuer is known: on to its metadata.
    pub(super) fn metadata<H: HttpClient>(&mut self, s: &Steps<'_, H>) -> Result<Next, CoreError> {
        let first =
            Url::parse(&self.issuer).map(|u| discovery::as_metadata_urls(&u).join(", then ")).unwrap_or_default();
        s.report(ids::AS_METADATA, TITLE_ASM, StepStatus::Pending, format!("GET {first}…"));
        self.step = (ids::AS_METADATA, TITLE_ASM);
        let candidates = discovery::as_metadata_urls(&discovery::issuer_url(&self.issuer)?);
        self.stage = Stage::Asm;
        self.fetch(candidates)
    }

    /// Tries `candidates` in order (see [`Self::next_candidate`]).
    fn fetch(&mut self, candidates: Vec<String>) -> Result<Next, CoreError> {
        self.candidates = candidates;
        self.tried = usize::MAX;
        self.next_candidate()
    }

    /// The next metadata URL to GET, or the error naming all that were tried.
    fn next_candidate(&mut self) -> Result<Next, CoreError> {
        self.tried = self.tried.wrapping_add(1);
        let (what, base) = match self.stage {
            Stage::Prm(_) => (PRM_WHAT, &self.mcp_url),
            _ => (ASM_WHAT, &self.issuer),
        };
        match self.candidates.get(self.tried) {
            Some(url) => Ok(Next::Send(what, discovery::metadata_request(url))),
            None => {
                Err(CoreError::NoMetadata { what: what.to_owned(), base: base.clone(), tried: self.candidates.clone() })
            }
        }
    }

    /// The client identity: at hand, or registered first.
    fn identify<H: HttpClient>(
        &mut self,
        s: &Steps<'_, H>,
        asm: AuthorizationServerMetadata,
    ) -> Result<Next, CoreError> {
        let (scope, registration_scope) = self.scopes.take().unwrap_or_else(|| {
            let scope = scope::select(self.challenge_scope.as_deref(), &self.prm_scopes, &asm.scopes_supported);
            let registration = scope::registration_scope(scope.as_deref(), &self.prm_scopes);
            (scope, registration)
        });
        let pending = match &asm.registration_endpoint {
            Some(endpoint) => format!("POST {endpoint} (unless a stored registration fits)…"),
            None => "Choosing the client identity…".to_owned(),
        };
        s.report(ids::REGISTER, TITLE_REGISTER, StepStatus::Pending, pending);
        self.step = (ids::REGISTER, TITLE_REGISTER);
        let client = self.ctx.client;
        let choice = identity::choose(&asm, client, self.ctx.store, registration_scope.as_deref());
        let next = match choice? {
            Choice::Ready(creds, how) => {
                s.report(ids::REGISTER, TITLE_REGISTER, StepStatus::Ok, identify_detail(&creds, &how));
                self.scopes = Some((scope, registration_scope));
                return self.authorize(s, &asm, creds);
            }
            Choice::Register(endpoint) => {
                let req = identity::registration_request(&endpoint, &asm, client, registration_scope.as_deref());
                self.stage = Stage::Register(Box::new(asm), endpoint);
                Next::Send(REGISTER_WHAT, req)
            }
        };
        self.scopes = Some((scope, registration_scope));
        Ok(next)
    }

    fn authorize<H: HttpClient>(
        &mut self,
        s: &Steps<'_, H>,
        asm: &AuthorizationServerMetadata,
        creds: identity::Credentials,
    ) -> Result<Next, CoreError> {
        self.step = (ids::AUTHORIZE_REDIRECT, TITLE_AUTHORIZE);
        let scope = self.scopes.take().and_then(|(scope, _)| scope);
        authorize_step(s, asm, creds, &self.mcp_url, &self.resource, scope, self.ctx.random)
            .map(|p| Next::Done(Box::new(p)))
    }
}

/// The 401's sentence.
fn unauthenticated_detail(challenge: &Challenge, mcp: &str) -> String {
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

fn prm_detail(prm: &ProtectedResourceMetadata, url: &str) -> String {
    format!(
        "GET {url} → 200. Resource: {}. Authorization server: {}. Scopes supported: {}.",
        prm.resource,
        prm.authorization_servers.first().map(String::as_str).unwrap_or_default(),
        if prm.scopes_supported.is_empty() { "(none listed)".to_owned() } else { prm.scopes_supported.join(" ") }
    )
}

fn asm_detail(asm: &AuthorizationServerMetadata, url: &str) -> String {
    format!(
        "GET {url} → 200. Issuer {} matches exactly; PKCE S256 is supported. Authorization endpoint: {}. Token \
         endpoint: {}.",
        asm.issuer, asm.authorization_endpoint, asm.token_endpoint
    )
}

fn identify_detail(creds: &identity::Credentials, how: &Resolved) -> String {
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

/// The authorization request; a failure is reported by the caller (it ends this step).
fn authorize_step<H: HttpClient>(
    s: &Steps<'_, H>,
    asm: &AuthorizationServerMetadata,
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
    let pending = authorize::start(asm, creds, mcp_url, resource, scope, random)?;
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
