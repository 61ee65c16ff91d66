//! Browser client for the MCP authorization flow (Leptos, client-side rendered, built by Trunk).
//!
//! `main` only installs the panic hook and mounts [`app::App`]. The flow itself is
//! `client_core`'s; requests go through `http::Fetch`; tokens and the PKCE verifier live only in `sessionStorage` (see `storage`).

mod app;
mod browser;
mod components;
mod error;
mod flow;
mod http;
mod pages;
mod router;
mod storage;
mod task;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
