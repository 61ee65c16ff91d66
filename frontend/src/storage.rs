//! The `sessionStorage` records of the flow. Tokens, the PKCE verifier and `state` live only in
//! `sessionStorage` (per tab, gone when the tab closes) and never in `localStorage`.
//!
//! Two records exist: the pending flow (written just before the redirect to `/authorize`, read
//! and removed on `/callback`; `state` and verifier are single use) and the session (the access
//! token, the refresh token when the server issued one, and where to use them). Refresh tokens
//! rotate, so the session is rewritten after every refresh: only the newest one is ever kept.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ClientError;
use crate::flow::Step;

const PENDING_KEY: &str = "mcp-auth.pending-flow";
const SESSION_KEY: &str = "mcp-auth.session";

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

fn storage() -> Result<web_sys::Storage, ClientError> {
    web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .ok_or_else(|| ClientError::message("This browser does not allow sessionStorage, which the login needs."))
}

fn load<T: DeserializeOwned>(key: &str) -> Result<Option<T>, ClientError> {
    let raw = storage()?
        .get_item(key)
        .map_err(|_| ClientError::message(format!("Could not read {key} from sessionStorage.")))?;
    match raw {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            remove(key);
            ClientError::message(format!("The saved record {key} was unreadable and has been discarded ({e})."))
        }),
    }
}

fn save<T: Serialize>(key: &str, value: &T) -> Result<(), ClientError> {
    let text = serde_json::to_string(value)
        .map_err(|e| ClientError::message(format!("Could not encode {key} for sessionStorage ({e}).")))?;
    storage()?.set_item(key, &text).map_err(|_| {
        ClientError::message(format!("Could not write {key} to sessionStorage (is it full or disabled?)."))
    })
}

fn remove(key: &str) {
    // Removing can only fail when storage is unavailable, and then there is nothing to remove.
    if let Ok(s) = storage() {
        let _ = s.remove_item(key);
    }
}

pub fn load_pending() -> Result<Option<PendingFlow>, ClientError> {
    load(PENDING_KEY)
}

pub fn save_pending(flow: &PendingFlow) -> Result<(), ClientError> {
    save(PENDING_KEY, flow)
}

pub fn clear_pending() {
    remove(PENDING_KEY);
}

pub fn load_session() -> Result<Option<Session>, ClientError> {
    load(SESSION_KEY)
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
    save(SESSION_KEY, session)
}

pub fn clear_session() {
    remove(SESSION_KEY);
}

/// Logout: forget every record this client keeps.
pub fn clear_all() {
    clear_pending();
    clear_session();
}
