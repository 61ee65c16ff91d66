//! The browser-storage records of the flow. Tokens, the PKCE verifier and `state` live only in
//! `sessionStorage` (per tab, gone when the tab closes) and never in `localStorage`.
//!
//! Three records live in `sessionStorage`: the tool call waiting for a step-up login (see
//! `flow::step_up`), the pending flow (written just before the redirect to
//! `/authorize`, read and removed on `/callback`; `state` and verifier are single use) and the
//! session (the access token, the refresh token when the server issued one, and where to use
//! them). Refresh tokens rotate, so the session is rewritten after every refresh: only the newest
//! one is ever kept.
//!
//! `localStorage` holds only public data: the dynamic client registration (RFC 7591) per
//! authorization server and redirect URI ([`StoredRegistration`]), so that the next Connect
//! reuses the same `client_id` and the consent the user already gave that client applies again.
//! A public client's `client_id` is no secret: it travels in every authorization URL.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ClientError;
use crate::flow::Step;

const PENDING_KEY: &str = "mcp-auth.pending-flow";
const SESSION_KEY: &str = "mcp-auth.session";
/// The tool call that was refused for lack of scope, retried once after the step-up login.
const PENDING_CALL_KEY: &str = "mcp-auth.pending-call";
/// `localStorage` key prefix of the registrations; the key ends with `<issuer> <redirect_uri>`.
const REGISTRATION_PREFIX: &str = "mcp-auth.registration:";

/// Everything `/callback` needs to finish a login started on the home page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PendingFlow {
    pub state: String,
    pub verifier: String,
    pub client_id: String,
    pub issuer: String,
    pub token_endpoint: String,
    /// RFC 7009 endpoint, when the server advertises one; logout revokes the token there.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    pub resource: String,
    pub mcp_url: String,
    pub redirect_uri: String,
    pub scope: String,
    /// The AS advertised `authorization_response_iss_parameter_supported` (RFC 9207 §3).
    #[serde(default)]
    pub iss_required: bool,
    /// The steps shown before the redirect, so `/callback` can show the whole story.
    #[serde(default)]
    pub timeline: Vec<Step>,
    /// The registration this flow uses; `/callback` stores it once the code exchange worked.
    #[serde(default)]
    pub registration: Option<StoredRegistration>,
}

impl PendingFlow {
    /// The session this flow leads to, before a token arrived: [`Session::with_tokens`] fills it in.
    #[must_use]
    pub fn session_template(&self) -> Session {
        Session {
            access_token: String::new(),
            expires_at: 0.0,
            expires_in: None,
            refresh_token: None,
            scope: Some(self.scope.clone()),
            mcp_url: self.mcp_url.clone(),
            resource: Some(self.resource.clone()),
            client_id: self.client_id.clone(),
            issuer: self.issuer.clone(),
            token_endpoint: self.token_endpoint.clone(),
            revocation_endpoint: self.revocation_endpoint.clone(),
            timeline: Vec::new(),
        }
    }
}

/// A `tools/call` refused with 403 `insufficient_scope`, kept across the step-up redirect.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PendingCall {
    pub tool: String,
    pub arguments: serde_json::Value,
    /// The scope the server's challenge named, shown when the retry reports back.
    pub scope: String,
}

/// A dynamic client registration (RFC 7591) kept in `localStorage` for reuse: public data only.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredRegistration {
    /// The authorization server's issuer identifier (RFC 8414) the client is registered with.
    pub issuer: String,
    /// Where it was registered; a server that moves its endpoint gets a new registration.
    pub registration_endpoint: String,
    /// The one redirect URI registered (this app's `/callback` on this origin).
    pub redirect_uri: String,
    pub client_id: String,
    /// The grant types the server registered.
    pub grant_types: Vec<String>,
    /// The scope the server registered, if it said; requests may not ask for more.
    #[serde(default)]
    pub scope: Option<String>,
    /// `client_id_issued_at` (seconds since the epoch), shown when the registration is reused.
    #[serde(default)]
    pub issued_at: Option<i64>,
}

/// A logged-in session: the tokens and the MCP server they are for.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Session {
    pub access_token: String,
    /// Milliseconds since the epoch (`Date.now()` at issue + `expires_in`).
    pub expires_at: f64,
    /// The access token's lifetime as the server gave it (`expires_in`, seconds).
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// The newest refresh token (OAuth 2.1 §4.3); each use returns a new one and kills this one.
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    pub mcp_url: String,
    /// The RFC 8707 resource the tokens are for (sent again with every refresh).
    #[serde(default)]
    pub resource: Option<String>,
    pub client_id: String,
    pub issuer: String,
    pub token_endpoint: String,
    /// RFC 7009 endpoint, when the server advertises one; logout revokes the grant there.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// How this session was obtained, for the console's "how you got here" panel.
    #[serde(default)]
    pub timeline: Vec<Step>,
}

impl Session {
    /// `self` with the tokens of a token response (code exchange or refresh), `now_ms` being when
    /// it arrived. What a response may omit is kept from `self`: the scope when unchanged (RFC
    /// 6749 §5.1) and the refresh token when the server does not rotate it (§6).
    #[must_use]
    pub fn with_tokens(self, token: shared::oauth::TokenResponse, now_ms: f64) -> Self {
        #[allow(clippy::cast_precision_loss)] // expires_in is seconds; f64 holds it exactly
        let expires_at = now_ms + token.expires_in as f64 * 1000.0;
        Self {
            access_token: token.access_token,
            expires_at,
            expires_in: Some(token.expires_in),
            refresh_token: token.refresh_token.or(self.refresh_token),
            scope: token.scope.or(self.scope),
            ..self
        }
    }

    #[must_use]
    pub fn is_expired(&self, now_ms: f64) -> bool {
        now_ms >= self.expires_at
    }

    /// Whether the session can still be used: the access token is valid, or can be renewed.
    #[must_use]
    pub fn is_usable(&self, now_ms: f64) -> bool {
        !self.is_expired(now_ms) || self.refresh_token.is_some()
    }
}

/// The two browser storage areas; nothing secret ever goes to [`Area::Local`].
#[derive(Clone, Copy)]
enum Area {
    Session,
    Local,
}

impl Area {
    fn name(self) -> &'static str {
        match self {
            Self::Session => "sessionStorage",
            Self::Local => "localStorage",
        }
    }

    fn get(self) -> Result<web_sys::Storage, ClientError> {
        let window = web_sys::window();
        let found = match self {
            Self::Session => window.and_then(|w| w.session_storage().ok().flatten()),
            Self::Local => window.and_then(|w| w.local_storage().ok().flatten()),
        };
        found.ok_or_else(|| {
            ClientError::message(format!("This browser does not allow {}, which the login needs.", self.name()))
        })
    }
}

fn load<T: DeserializeOwned>(area: Area, key: &str) -> Result<Option<T>, ClientError> {
    let raw = area
        .get()?
        .get_item(key)
        .map_err(|_| ClientError::message(format!("Could not read {key} from {}.", area.name())))?;
    match raw {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            remove(area, key);
            ClientError::message(format!("The saved record {key} was unreadable and has been discarded ({e})."))
        }),
    }
}

fn save<T: Serialize>(area: Area, key: &str, value: &T) -> Result<(), ClientError> {
    let text = serde_json::to_string(value)
        .map_err(|e| ClientError::message(format!("Could not encode {key} for {} ({e}).", area.name())))?;
    area.get()?.set_item(key, &text).map_err(|_| {
        ClientError::message(format!("Could not write {key} to {} (is it full or disabled?).", area.name()))
    })
}

fn remove(area: Area, key: &str) {
    // Removing can only fail when storage is unavailable, and then there is nothing to remove.
    if let Ok(s) = area.get() {
        let _ = s.remove_item(key);
    }
}

pub fn load_pending() -> Result<Option<PendingFlow>, ClientError> {
    load(Area::Session, PENDING_KEY)
}

pub fn save_pending(flow: &PendingFlow) -> Result<(), ClientError> {
    save(Area::Session, PENDING_KEY, flow)
}

pub fn clear_pending() {
    remove(Area::Session, PENDING_KEY);
}

pub fn load_session() -> Result<Option<Session>, ClientError> {
    load(Area::Session, SESSION_KEY)
}

/// The session if one is stored and usable (see [`Session::is_usable`]); any other is removed.
#[must_use]
pub fn valid_session(now_ms: f64) -> Option<Session> {
    match load_session() {
        Ok(Some(s)) if s.is_usable(now_ms) => Some(s),
        Ok(Some(_)) => {
            clear_session();
            None
        }
        _ => None,
    }
}

pub fn save_session(session: &Session) -> Result<(), ClientError> {
    save(Area::Session, SESSION_KEY, session)
}

pub fn clear_session() {
    remove(Area::Session, SESSION_KEY);
}

pub fn save_pending_call(call: &PendingCall) -> Result<(), ClientError> {
    save(Area::Session, PENDING_CALL_KEY, call)
}

/// The call waiting for its retry, removed as it is read: it is retried at most once.
#[must_use]
pub fn take_pending_call() -> Option<PendingCall> {
    let call = load(Area::Session, PENDING_CALL_KEY).ok().flatten();
    clear_pending_call();
    call
}

pub fn clear_pending_call() {
    remove(Area::Session, PENDING_CALL_KEY);
}

/// Logout: forget every record of this tab's login. The stored registration stays: it is not a
/// credential, and keeping it is what lets the authorization server remember the consent.
pub fn clear_all() {
    clear_pending();
    clear_pending_call();
    clear_session();
}

fn registration_key(issuer: &str, redirect_uri: &str) -> String {
    // Neither URL can contain a space, so the key is unambiguous.
    format!("{REGISTRATION_PREFIX}{issuer} {redirect_uri}")
}

/// The registration stored for this authorization server and redirect URI, if any. An
/// unreadable record is discarded and reported as none: the caller then simply registers.
#[must_use]
pub fn load_registration(issuer: &str, redirect_uri: &str) -> Option<StoredRegistration> {
    load(Area::Local, &registration_key(issuer, redirect_uri)).ok().flatten()
}

/// Remembers a registration for the next Connect (replacing the one for the same server and URI).
pub fn save_registration(registration: &StoredRegistration) -> Result<(), ClientError> {
    save(Area::Local, &registration_key(&registration.issuer, &registration.redirect_uri), registration)
}

pub fn forget_registration(issuer: &str, redirect_uri: &str) {
    remove(Area::Local, &registration_key(issuer, redirect_uri));
}

/// The `localStorage` keys of every stored registration.
fn registration_keys() -> Vec<String> {
    let Ok(local) = Area::Local.get() else {
        return Vec::new();
    };
    let count = local.length().unwrap_or(0);
    (0..count).filter_map(|i| local.key(i).ok().flatten()).filter(|k| k.starts_with(REGISTRATION_PREFIX)).collect()
}

/// How many registrations this browser keeps (for the home page).
#[must_use]
pub fn registration_count() -> usize {
    registration_keys().len()
}

/// Forgets the stored registration(s) with this `client_id` (the server no longer knows it); a
/// newer registration made meanwhile, e.g. in another tab, is kept.
pub fn forget_client(client_id: &str) {
    for key in registration_keys() {
        let stored: Option<StoredRegistration> = load(Area::Local, &key).ok().flatten();
        if stored.is_none_or(|r| r.client_id == client_id) {
            remove(Area::Local, &key);
        }
    }
}

/// Forgets every stored registration: the next Connect registers again.
pub fn forget_all_registrations() {
    for key in registration_keys() {
        remove(Area::Local, &key);
    }
}
