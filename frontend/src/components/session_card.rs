//! The console's session card: where the tokens are used, when the access token expires, whether
//! a refresh token is held, and the "Refresh token now" and "Log out" buttons. It shows what it is
//! given (never a token itself) and leaves the work to the callbacks.

use leptos::prelude::*;

use super::{handler, region, text, Region};
use crate::storage::Session;
use crate::task::Busy;

/// `renewals`: refreshes that succeeded since the console opened.
pub fn session_card(
    session: ReadSignal<Session>,
    renewals: ReadSignal<u32>,
    refreshing: Busy,
    on_refresh: impl Fn() + 'static,
    on_logout: impl Fn() + 'static,
) -> impl IntoView {
    let field = move |f: fn(&Session) -> String| text(move || session.with(f));
    #[allow(clippy::cast_precision_loss)] // milliseconds since the epoch; f64 holds them exactly
    let expires =
        text(move || String::from(js_sys::Date::new(&(session.with(|s| s.expires_at) as f64).into()).to_iso_string()));
    let has_refresh = text(move || if session.with(|s| s.refresh_token.is_some()) { "yes" } else { "no" }.to_owned());
    let status = text(move || match renewals.get() {
        0 => String::new(),
        1 => "Renewed once in this tab: a new access token and a new refresh token (the old one is now void).".into(),
        n => format!("Renewed {n} times in this tab; each refresh replaced both tokens."),
    });
    view! {
        <section class="card">
            <div class="row spread">
                <h1>"MCP console"</h1>
                <button class="secondary" data-testid="logout" on:click=handler(move |_| on_logout())>
                    "Log out"
                </button>
            </div>
            <dl class="facts">
                <dt>"MCP server"</dt>
                <dd><code data-testid="session-mcp-url">{field(|s| s.mcp_url.clone())}</code></dd>
                <dt>"Authorization server"</dt>
                <dd><code>{field(|s| s.issuer.clone())}</code></dd>
                <dt>"Client ID"</dt>
                <dd><code>{field(|s| s.client_id.clone())}</code></dd>
                <dt>"Scope"</dt>
                <dd><code data-testid="session-scope">{field(|s| s.scope.clone().unwrap_or_default())}</code></dd>
                <dt>"Token expires"</dt>
                <dd><span data-testid="token-expiry">{expires}</span></dd>
                <dt>"Refresh token"</dt>
                <dd><span data-testid="has-refresh">{has_refresh}</span></dd>
            </dl>
            <p class="row">
                <button
                    class="secondary"
                    data-testid="refresh-now"
                    disabled=refreshing.flag()
                    on:click=handler(move |_| on_refresh())
                >
                    "Refresh token now"
                </button>
                {working(refreshing)}
                <span class="muted" data-testid="refresh-status">{status}</span>
            </p>
        </section>
    }
}

/// " Working…" while `busy`.
pub fn working(busy: Busy) -> Region {
    region(move || busy.get().then(|| view! { <span class="muted working">" Working…"</span> }.into_any()))
}
