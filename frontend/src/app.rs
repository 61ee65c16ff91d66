//! The application shell: header, router and the three routes. Pages do the work.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::pages::callback::CallbackPage;
use crate::pages::console::ConsolePage;
use crate::pages::home::HomePage;

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="topbar">
                <a href="/" class="brand">"MCP Auth"</a>
                <span class="muted">"OAuth 2.1 + PKCE browser client for protected MCP servers"</span>
            </header>
            <main>
                <Routes fallback=|| view! { <section class="card"><h1>"Page not found"</h1><a href="/">"Home"</a></section> }>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/callback") view=CallbackPage />
                    <Route path=path!("/console") view=ConsolePage />
                </Routes>
            </main>
        </Router>
    }
}
