//! The application shell: header, and the page for the current path (see `router`). Pages do
//! the work.

use leptos::prelude::*;

use crate::components::{region, siblings};
use crate::pages::callback::callback_page;
use crate::pages::console::console_page;
use crate::pages::home::home_page;
use crate::router::Router;

/// The shell; a plain function like every view here (no `#[component]` wrapper).
pub fn app() -> AnyView {
    // Passed to the pages that navigate, not provided as context (no context lookup code).
    let router = Router::start();
    // Pages are built untracked: only a change of path rebuilds them.
    let page = region(move || {
        let path = router.path();
        Some(untrack(|| match path.trim_end_matches('/') {
            "" => home_page(),
            "/callback" => callback_page(router),
            "/console" => console_page(router),
            _ => view! { <section class="card"><h1>"Page not found"</h1><a href="/">"Home"</a></section> }.into_any(),
        }))
    });
    siblings(vec![
        view! {
            <header class="topbar">
                <a href="/" class="brand">"MCP Auth"</a>
                <span class="muted">"OAuth 2.1 + PKCE browser client for protected MCP servers"</span>
            </header>
        }
        .into_any(),
        view! { <main>{page}</main> }.into_any(),
    ])
}
