//! The application shell: header, and the page for the current path (see `router`). Pages do
//! the work.

use leptos::prelude::*;

use crate::pages::callback::CallbackPage;
use crate::pages::console::ConsolePage;
use crate::pages::home::HomePage;
use crate::router::Router;

#[component]
pub fn App() -> impl IntoView {
    let router = Router::start();
    provide_context(router);
    let page = move || match router.path().trim_end_matches('/') {
        "" => HomePage().into_any(),
        "/callback" => CallbackPage().into_any(),
        "/console" => ConsolePage().into_any(),
        _ => view! { <section class="card"><h1>"Page not found"</h1><a href="/">"Home"</a></section> }.into_any(),
    };
    view! {
        <header class="topbar">
            <a href="/" class="brand">"MCP Auth"</a>
            <span class="muted">"OAuth 2.1 + PKCE browser client for protected MCP servers"</span>
        </header>
        <main>{page}</main>
    }
}
