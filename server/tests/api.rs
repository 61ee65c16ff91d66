//! Integration tests: one binary, real HTTP on 127.0.0.1:0, a temporary SQLite file per test.
#![allow(clippy::unwrap_used)]

mod authorize;
mod body_limits;
mod cimd;
mod client_auth;
mod client_registration;
mod common;
mod configured_clients;
mod conformance_mount;
mod consent_memory;
mod cors;
mod flow;
mod interop_rmcp;
mod introspect;
mod jwt;
mod key_rotation;
mod logs;
mod mcp_guard;
mod properties;
mod protocol_versions;
mod refresh;
mod register;
mod revocation;
mod sessions;
mod step_up;
mod throttle;
mod token;
mod tools;
