//! The one error type of the browser client. Every failure the user can meet — a server that is
//! down, a status the protocol does not allow, a JSON-RPC error, a browser API that refused —
//! ends up here and prints as a sentence meant for the error banner. Nothing is swallowed:
//! callers either show an error or pass it up.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// `fetch` itself failed: refused connection, DNS, or a CORS rejection.
    Network { target: &'static str, method: &'static str, url: String },
    /// The server answered with a status this step of the flow does not allow.
    Status {
        target: &'static str,
        method: &'static str,
        url: String,
        expected: &'static str,
        got: u16,
        detail: Option<String>,
    },
    /// The response arrived but is not what the protocol says.
    Invalid { target: &'static str, url: String, reason: String },
    /// An OAuth endpoint answered with an RFC 6749 §5.2 error body.
    OAuth { action: &'static str, error: String, description: Option<String> },
    /// The MCP server refused the bearer token (401): it expired or was revoked.
    Unauthorized,
    /// The MCP server refused the operation with 403 `insufficient_scope` (RFC 6750 §3.1): the
    /// token is fine but lacks a scope; `scope` is every scope the operation needs.
    InsufficientScope { method: String, scope: String, description: Option<String> },
    /// The MCP server no longer knows our `Mcp-Session-Id` (404).
    SessionGone,
    /// A JSON-RPC error object from the MCP server.
    JsonRpc { method: String, code: i64, message: String },
    /// Anything already phrased for the user: bad input, state mismatch, a browser API failure.
    Message(String),
}

impl ClientError {
    pub fn message(text: impl Into<String>) -> Self {
        Self::Message(text.into())
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network { target, method, url } => write!(
                f,
                "Could not reach {target} at {url} (network error on {method}). Is it running, and does it allow \
                 requests from this page's origin (CORS)?"
            ),
            Self::Status { target, method, url, expected, got, detail } => {
                write!(f, "Expected {expected} from {target} but got {got} ({method} {url})")?;
                match detail {
                    Some(d) if !d.is_empty() => write!(f, ": {d}"),
                    _ => f.write_str("."),
                }
            }
            Self::Invalid { target, url, reason } => {
                write!(f, "The response from {target} at {url} is not usable: {reason}")
            }
            Self::OAuth { action, error, description } => match description {
                Some(d) if !d.is_empty() => write!(f, "{action} failed: {error}: {d}"),
                _ => write!(f, "{action} failed: {error}"),
            },
            Self::Unauthorized => f.write_str("Your session has expired or was revoked. Please log in again."),
            Self::InsufficientScope { method, scope, description } => {
                write!(f, "The MCP server refused {method}: it needs the scope \"{scope}\" (insufficient_scope)")?;
                match description {
                    Some(d) if !d.is_empty() => write!(f, ": {d}."),
                    _ => f.write_str("."),
                }
            }
            Self::SessionGone => f.write_str("The MCP server no longer knows this MCP session (404)."),
            Self::JsonRpc { method, code, message } => {
                write!(f, "The MCP server rejected {method}: {message} (JSON-RPC error {code}).")
            }
            Self::Message(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for ClientError {}
