//! Integration tests: one binary, real HTTP on 127.0.0.1:0, a temporary SQLite file per test.
#![allow(clippy::unwrap_used)]

mod authorize;
mod body_limits;
mod bounded_growth;
mod cimd;
mod client_auth;
mod client_registration;
mod common;
mod configured_clients;
mod conformance_mount;
mod consent_memory;
mod cors;
mod csrf;
mod db_files;
mod flow;
mod interop_rmcp;
mod introspect;
mod jwt;
mod key_rotation;
mod logs;
mod loopback_redirects;
mod mcp_guard;
mod password_hashing;
mod protocol_versions;
mod ready_file;
mod refresh;
mod register;
mod revocation;
mod revocation_feed;
mod revocation_reach;
mod sessions;
mod spa_headers;
mod step_up;
mod throttle;
mod token;
mod tools;
