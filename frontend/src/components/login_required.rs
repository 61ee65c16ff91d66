//! The block shown on `/console` when there is no usable token, with a way back to log in.

use leptos::prelude::*;

#[component]
pub fn LoginRequired(
    /// Why the user must log in again (e.g. the token was revoked); a generic sentence if none.
    reason: Option<String>,
    /// The MCP server to prefill on the home page.
    mcp_url: Option<String>,
) -> impl IntoView {
    let href = match mcp_url {
        Some(url) => {
            let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("mcp", &url).finish();
            format!("/?{query}")
        }
        None => "/".to_owned(),
    };
    view! {
        <section class="card">
            {reason.map(|r| view! { <div class="banner banner-error" data-testid="error" role="alert">{r}</div> })}
            <div class="banner banner-info" data-testid="login-required">
                "You are not logged in (or your session expired). Connect again to log in."
            </div>
            <a class="button" href=href data-testid="login-again">"Log in again"</a>
        </section>
    }
}
