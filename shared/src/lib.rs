//! Wire types and pure protocol logic used by both the server and the browser client.
//!
//! This crate compiles for `wasm32-unknown-unknown` and native targets. It must never do I/O,
//! read the clock or draw random numbers: callers pass those in, so every function here is
//! deterministic and unit-testable.
//! On wasm32 it parses URLs with the browser's own `URL` (see [`urls::Url`]), so there it
//! needs a JavaScript host.

pub mod base64;
pub mod challenge;
pub mod fields;
pub mod form;
pub mod mcp;
pub mod oauth;
pub mod pkce;
pub mod scopes;
pub mod sse;
pub mod urls;
