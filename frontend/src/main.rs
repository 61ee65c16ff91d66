//! Browser client for the MCP authorization flow (Leptos, client-side rendered, built by Trunk).
//!
//! `main` only installs the panic hook and mounts [`app::App`]. Requests are made only in
//! `api`; tokens and the PKCE verifier live only in `sessionStorage` (see `storage`).

mod api;
mod app;
mod browser;
mod components;
mod error;
mod flow;
mod pages;
mod storage;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
