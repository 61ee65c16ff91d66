//! The one error type of the core. Every variant is something a UI can explain to a person (the
//! `Display` text is that sentence); callers match on the variant to act (a 401 ends a session,
//! a 403 `insufficient_scope` starts a step-up, `invalid_client` forgets the registration).

use crate::http::TransportError;

/// Said when the authorization server does not know the stored `client_id`.
pub const REGISTRATION_NOT_RECOGNISED: &str =
    "The stored client registration was not recognised; press Connect to register again.";

const STATE_MISMATCH: &str = "State mismatch: this callback does not belong to a login started in this tab, so it was \
                              refused as forged and nothing in it was used.";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// The request got no answer (refused connection, DNS, TLS, or CORS in a browser).
    #[error(
        "Could not reach {what} at {url} (network error on {method}: {cause}). Is it running, and does it allow \
         requests from this client?"
    )]
    Unreachable { what: String, method: String, url: String, cause: TransportError },
    /// A URL given by the user or learned from the network breaks `shared::urls` rules.
    #[error("\"{url}\" cannot be {what}: {reason}.")]
    BadUrl { what: String, url: String, reason: String },
    /// The MCP server did not answer 401 to a request without a token.
    #[error(
        "Expected 401 from the MCP server but got {status} (POST {url}): a protected MCP server must refuse requests \
         without a token, so it offers no OAuth login here."
    )]
    NoOAuth { url: String, status: u16 },
    /// No metadata document was found at any of the well-known URLs tried.
    #[error("No {what} was found for {base}; tried {}.", tried.join(", "))]
    NoMetadata { what: String, base: String, tried: Vec<String> },
    /// The server answered with a status this step does not allow.
    #[error("Expected {expected} from {what} but got {got} ({method} {url}){}", detail_suffix(detail))]
    Status { what: String, method: String, url: String, expected: String, got: u16, detail: Option<String> },
    /// The answer arrived but is not what the protocol requires.
    #[error("The response from {what} at {url} is not usable: {reason}")]
    Invalid { what: String, url: String, reason: String },
    /// AS metadata whose `issuer` is not the issuer it was fetched for (RFC 8414 §3.3).
    #[error(
        "The response from the authorization server metadata at {url} is not usable: its issuer is \"{got}\" but the \
         resource named \"{expected}\"; they must be identical (RFC 8414 §3.3)"
    )]
    IssuerMismatch { url: String, expected: String, got: String },
    /// The callback's `state` is not the pending flow's: forged or stale, nothing in it is used.
    #[error("{STATE_MISMATCH}")]
    StateMismatch,
    /// The user refused consent (`error=access_denied`).
    #[error("Access was denied: you declined the request on the consent page.{}", paren(description))]
    AccessDenied { description: Option<String> },
    /// Any other `error` in the authorization response.
    #[error("The authorization server refused the request: {error}.{}{}", not_recognised(error), paren(description))]
    AuthorizationRefused { error: String, description: Option<String> },
    /// RFC 9207: the callback's `iss` differs from the issuer (simple string comparison).
    #[error(
        "Issuer mismatch: the callback says it comes from {got}, but this login was started with {expected} (RFC \
         9207). The code was not used. Please connect again."
    )]
    IssMismatch { expected: String, got: String },
    /// RFC 9207: the AS advertised `iss` but the callback has none.
    #[error(
        "The callback has no iss parameter although {issuer} promises one (RFC 9207). The code was not used. Please \
         connect again."
    )]
    IssMissing { issuer: String },
    #[error("The callback has no authorization code. Please connect again.")]
    MissingCode,
    /// An OAuth endpoint answered with an RFC 6749 §5.2 error body (`error` is its code).
    #[error("{action} failed: {error}{}{}", colon(description), not_recognised_sentence(error))]
    OAuth { action: String, error: String, description: Option<String> },
    /// The MCP server refused the bearer token (401) and renewing did not help.
    #[error("Your session has expired or was revoked. Please log in again.")]
    Unauthorized,
    /// 403 `insufficient_scope`: `scope` is what the server challenged with.
    #[error(
        "The MCP server refused {method}: it needs the scope \"{scope}\" (insufficient_scope){}",
        dot_desc(description)
    )]
    InsufficientScope { method: String, scope: String, description: Option<String> },
    /// A step-up would not help (the grant already has the scopes) or the retry limit is spent.
    #[error(
        "The MCP server refused {method} and asks for scope \"{scope}\", which this session already asked for \
         (\"{have}\"). Asking again would not help, so the call was not retried."
    )]
    StepUpExhausted { method: String, scope: String, have: String },
    /// The session cannot be renewed (no refresh token, or logout began).
    #[error("{0}")]
    CannotRefresh(String),
    /// The MCP server no longer knows our `Mcp-Session-Id` (404).
    #[error("The MCP server no longer knows this MCP session (404).")]
    SessionGone,
    #[error("The MCP server rejected {method}: {message} (JSON-RPC error {code}).")]
    JsonRpc { method: String, code: i64, message: String },
    #[error("The tool {tool} reported an error: {message}")]
    ToolFailed { tool: String, message: String },
    /// Anything already phrased for the user (used by front ends for their own failures).
    #[error("{0}")]
    Message(String),
}

impl CoreError {
    pub fn message(text: impl Into<String>) -> Self {
        Self::Message(text.into())
    }

    /// The RFC 6749 error code, when an OAuth endpoint or the authorization response gave one.
    #[must_use]
    pub fn oauth_code(&self) -> Option<&str> {
        match self {
            Self::OAuth { error, .. } | Self::AuthorizationRefused { error, .. } => Some(error),
            Self::AccessDenied { .. } => Some("access_denied"),
            _ => None,
        }
    }

    /// Whether the AS said it does not know the client (its registration must be forgotten).
    #[must_use]
    pub fn is_invalid_client(&self) -> bool {
        self.oauth_code() == Some("invalid_client")
    }
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail {
        Some(d) if !d.is_empty() => format!(": {d}"),
        _ => ".".to_owned(),
    }
}

fn paren(d: &Option<String>) -> String {
    match d {
        Some(d) if !d.is_empty() => format!(" ({d})"),
        _ => String::new(),
    }
}

fn colon(d: &Option<String>) -> String {
    match d {
        Some(d) if !d.is_empty() => format!(": {d}"),
        _ => String::new(),
    }
}

fn dot_desc(d: &Option<String>) -> String {
    match d {
        Some(d) if !d.is_empty() => format!(": {d}."),
        _ => ".".to_owned(),
    }
}

fn not_recognised(error: &str) -> String {
    if error == "invalid_client" {
        format!(" {REGISTRATION_NOT_RECOGNISED}")
    } else {
        String::new()
    }
}

fn not_recognised_sentence(error: &str) -> String {
    if error == "invalid_client" {
        format!(". {REGISTRATION_NOT_RECOGNISED}")
    } else {
        String::new()
    }
}
