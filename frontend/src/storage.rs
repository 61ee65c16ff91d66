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
//! authorization server and redirect URI ([`Registrations`], the core's credential store), so that the next Connect
//! reuses the same `client_id` and the consent the user already gave that client applies again.
//! A public client's `client_id` is no secret: it travels in every authorization URL.

use std::ops::Deref;

use client_core::identity::{CredentialStore, Credentials};
use client_core::PendingAuthorization;
use serde::de::DeserializeOwned;
use shared::fields::{Fields, Record};

use crate::error::ClientError;
use crate::flow::Step;

const PENDING_KEY: &str = "mcp-auth.pending-flow";
const SESSION_KEY: &str = "mcp-auth.session";
/// The tool call that was refused for lack of scope, retried once after the step-up login.
const PENDING_CALL_KEY: &str = "mcp-auth.pending-call";
/// `localStorage` key prefix of the registrations; the key ends with `<issuer> <redirect_uri>`.
const REGISTRATION_PREFIX: &str = "mcp-auth.registration:";

/// Everything `/callback` needs to finish a login started on the home page: the core's pending
/// authorization (`state`, verifier, client, endpoints) and the steps shown so far.
///
/// Flat: the core's members and `timeline` in one JSON object, written by the core's writers
/// and read without `#[serde(flatten)]` (whose buffering deserializer cost the SPA 5.7 KB
/// gzipped): one parse of the members, which the core's reader and the timeline's each take
/// theirs from (see `with_steps`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingFlow {
    pub authorization: PendingAuthorization,
    /// The steps shown before the redirect, so `/callback` can show the whole story.
    pub timeline: Vec<Step>,
}

/// A `tools/call` refused with 403 `insufficient_scope`, kept across the step-up redirect.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingCall {
    pub tool: String,
    pub arguments: serde_json::Value,
    /// The scope the server's challenge named, shown when the retry reports back.
    pub scope: String,
}

/// A logged-in session: the core's session (tokens, where to use them, the client) and how it
/// was obtained. `client_id` is repeated at the top level for readers of the record (on load
/// it is taken from the credentials, where it came from). Read like [`PendingFlow`].
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub tokens: client_core::Session,
    pub client_id: String,
    /// How this session was obtained, for the console's "how you got here" panel.
    pub timeline: Vec<Step>,
}

impl Session {
    #[must_use]
    pub fn new(tokens: client_core::Session, timeline: Vec<Step>) -> Self {
        Self { client_id: tokens.credentials.client_id.clone(), tokens, timeline }
    }
}

impl Deref for Session {
    type Target = client_core::Session;

    fn deref(&self) -> &client_core::Session {
        &self.tokens
    }
}

impl PendingFlow {
    /// The record's text: the core's members and `timeline` in one object, as the derive
    /// writes them, through the core's writers (no serializer per struct in the SPA).
    fn text(&self) -> String {
        Record::text(self, |flow, r| {
            flow.authorization.write(r);
            r.records("timeline", &flow.timeline, Step::write);
        })
    }
}

impl Session {
    /// The record's text (see [`PendingFlow::text`]).
    fn text(&self) -> String {
        Record::text(self, |session, r| {
            session.tokens.write(r);
            r.string("client_id", &session.client_id);
            r.records("timeline", &session.timeline, Step::write);
        })
    }
}

impl PendingCall {
    fn text(&self) -> String {
        Record::text(self, |call, r| {
            r.string("tool", &call.tool);
            r.raw("arguments", &client_core::mcp::text_of(&call.arguments));
            r.string("scope", &call.scope);
        })
    }
}

/// A [`PendingFlow`] or [`Session`] record: the core's members, read by its reader, and the
/// `timeline` beside them, from one parse of the text.
fn with_steps<T>(text: &str, read: fn(&mut Fields) -> T) -> serde_json::Result<(T, Vec<Step>)> {
    let mut record: Fields = serde_json::from_str(text)?;
    let core = read(&mut record);
    let steps = record.records("timeline", Step::read);
    record.finish((core, steps))
}

/// A [`PendingCall`] record, checked like a derived `Deserialize` would (every member present,
/// of its type) without a visitor of its own.
fn pending_call_of(text: &str) -> serde_json::Result<PendingCall> {
    let mut record: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)?;
    // Taken with `get_mut`, not `remove`: no B-tree removal code in the SPA (see `Fields`).
    let mut take = |key: &str| record.get_mut(key).map(serde_json::Value::take);
    let mut string = |key: &str| match take(key) {
        Some(serde_json::Value::String(s)) => Ok(s),
        _ => Err(serde::de::Error::custom(format_args!("`{key}` must be a string"))),
    };
    let (tool, scope) = (string("tool")?, string("scope")?);
    let arguments = take("arguments").ok_or_else(|| serde::de::Error::missing_field("arguments"))?;
    Ok(PendingCall { tool, arguments, scope })
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
    load_with(area, key, |text| serde_json::from_str(text))
}

/// [`load`] with the record's own reader. Only the parsing is generic: reading and the
/// errors are one copy of code for every record type.
fn load_with<T>(
    area: Area,
    key: &str,
    parse: impl FnOnce(&str) -> serde_json::Result<T>,
) -> Result<Option<T>, ClientError> {
    match load_text(area, key)? {
        None => Ok(None),
        Some(text) => parse(&text).map(Some).map_err(|e| discard(area, key, &e)),
    }
}

fn load_text(area: Area, key: &str) -> Result<Option<String>, ClientError> {
    area.get()?.get_item(key).map_err(|_| ClientError::message(format!("Could not read {key} from {}.", area.name())))
}

/// Removes an unreadable record; the error says so.
fn discard(area: Area, key: &str, e: &serde_json::Error) -> ClientError {
    remove(area, key);
    ClientError::message(format!("The saved record {key} was unreadable and has been discarded ({e})."))
}

fn save_text(area: Area, key: &str, text: &str) -> Result<(), ClientError> {
    area.get()?.set_item(key, text).map_err(|_| {
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
    load_with(Area::Session, PENDING_KEY, |text| {
        let (authorization, timeline) = with_steps(text, PendingAuthorization::read)?;
        Ok(PendingFlow { authorization, timeline })
    })
}

pub fn save_pending(flow: &PendingFlow) -> Result<(), ClientError> {
    save_text(Area::Session, PENDING_KEY, &flow.text())
}

pub fn clear_pending() {
    remove(Area::Session, PENDING_KEY);
}

pub fn load_session() -> Result<Option<Session>, ClientError> {
    load_with(Area::Session, SESSION_KEY, |text| {
        let (tokens, timeline) = with_steps(text, client_core::Session::read)?;
        Ok(Session::new(tokens, timeline))
    })
}

/// The session if one is stored and usable (see `client_core::Session::is_usable`); any other
/// is removed.
#[must_use]
pub fn valid_session(now_ms: i64) -> Option<Session> {
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
    save_text(Area::Session, SESSION_KEY, &session.text())
}

pub fn clear_session() {
    remove(Area::Session, SESSION_KEY);
}

pub fn save_pending_call(call: &PendingCall) -> Result<(), ClientError> {
    save_text(Area::Session, PENDING_CALL_KEY, &call.text())
}

/// The call waiting for its retry, removed as it is read: it is retried at most once.
#[must_use]
pub fn take_pending_call() -> Option<PendingCall> {
    let call = load_with(Area::Session, PENDING_CALL_KEY, pending_call_of).ok().flatten();
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

/// The core's [`CredentialStore`] over `localStorage`, for this app's redirect URI. Only public
/// clients are stored (no secret): a public client's `client_id` is no secret, it travels in
/// every authorization URL.
pub struct Registrations {
    pub redirect_uri: String,
}

impl CredentialStore for Registrations {
    /// An unreadable record is discarded and reported as none: the core then registers.
    fn load(&self, issuer: &str) -> Option<Credentials> {
        load(Area::Local, &registration_key(issuer, &self.redirect_uri)).ok().flatten()
    }

    fn save(&self, credentials: &Credentials) {
        if credentials.client_secret.is_some() {
            return;
        }
        let key = registration_key(&credentials.issuer, &credentials.redirect_uri);
        if let Err(e) = save_text(Area::Local, &key, &Record::text(credentials, Credentials::write)) {
            leptos::logging::warn!("the client registration could not be stored for reuse: {e}");
        }
    }

    fn forget(&self, issuer: &str, client_id: &str) {
        let key = registration_key(issuer, &self.redirect_uri);
        let stored: Option<Credentials> = load(Area::Local, &key).ok().flatten();
        if stored.is_none_or(|c| c.client_id == client_id) {
            remove(Area::Local, &key);
        }
    }
}

/// The `localStorage` keys of every stored registration.
fn registration_keys() -> Vec<String> {
    let Ok(local) = Area::Local.get() else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for i in 0..local.length().unwrap_or(0) {
        if let Some(key) = local.key(i).ok().flatten().filter(|k| k.starts_with(REGISTRATION_PREFIX)) {
            keys.push(key);
        }
    }
    keys
}

/// How many registrations this browser keeps (for the home page).
#[must_use]
pub fn registration_count() -> u32 {
    u32::try_from(registration_keys().len()).unwrap_or(u32::MAX)
}

/// Forgets the stored registration(s) with this `client_id` (the server no longer knows it); a
/// newer registration made meanwhile, e.g. in another tab, is kept.
pub fn forget_client(client_id: &str) {
    for key in registration_keys() {
        let stored: Option<Credentials> = load(Area::Local, &key).ok().flatten();
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
