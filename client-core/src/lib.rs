//! The MCP authorization client, shared by the SPA and the CLI: discovery (401 challenge, RFC
//! 9728, RFC 8414 / OpenID probing), client identity (pre-registered, CIMD, RFC 7591), PKCE and
//! RFC 8707 `resource`, RFC 9207 `iss`, token exchange and single-flight refresh, step-up, the
//! MCP calls, and a redacted record of every HTTP exchange.
//!
//! Sans-I/O: requests go through the caller's [`http::HttpClient`]; randomness and the clock are
//! passed in. Compiles for wasm32 and native. Driving a login:
//! [`flow::begin_login`] → send the user to `authorization_url` → [`flow::complete_login`]
//! (or [`flow::check_callback`] + [`flow::exchange`]) → [`keeper::TokenKeeper`] +
//! [`mcp::McpClient`] for calls.

pub mod authorize;
pub mod discovery;
pub mod elicit;
pub mod error;
pub mod flow;
pub mod http;
pub mod identity;
pub mod keeper;
pub mod mcp;
pub mod scope;
pub mod sse;
mod stateless;
pub mod step;
mod stored;
pub mod token;
pub mod trace;
mod wire;
mod written;

pub use authorize::{CallbackParams, PendingAuthorization};
pub use error::CoreError;
pub use flow::{Observer, Step, StepStatus};
pub use http::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
pub use identity::{ClientConfig, CredentialStore, Credentials, PreRegistered};
pub use keeper::TokenKeeper;
pub use mcp::McpClient;
pub use token::Session;
pub use trace::Exchange;
