//! The one error type of the browser client is the core's: every failure the user can meet
//! prints as a sentence meant for the error banner. Nothing is swallowed: callers either show
//! an error or pass it up.

pub use client_core::CoreError as ClientError;
