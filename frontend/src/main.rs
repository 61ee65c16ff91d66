//! Browser client for the MCP authorization flow (Leptos, client-side rendered, built by Trunk).
//!
//! `main` only installs a panic hook (the message to the console; dev builds only) and mounts [`app::app`]. The flow itself is
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
    // A panic's message goes to the console (what `console_error_panic_hook` did, without its
    // stack trace, which cost ~1 KB of code). Dev builds only: the release size build compiles a
    // panic to a bare trap (scripts/lib.sh), where no hook runs and the browser shows where the
    // wasm trapped, so the release build leaves the hook out.
    #[cfg(debug_assertions)]
    std::panic::set_hook(Box::new(|info| leptos::logging::error!("{info}")));
    leptos::mount::mount_to_body(app::app);
}
