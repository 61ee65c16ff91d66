//! The block shown on `/console` when there is no usable token, with a way back to log in.

use leptos::prelude::*;

use super::{attr, banner};

/// `reason`: why the user must log in again (e.g. the token was revoked); a generic sentence if
/// none. `mcp_url`: the MCP server to prefill on the home page.
pub fn login_required(reason: Option<String>, mcp_url: Option<String>) -> AnyView {
    let href = match mcp_url {
        Some(url) => {
            format!("/?{}", shared::form::encode_pairs([("mcp", url.as_str())]))
        }
        None => "/".to_owned(),
    };
    view! {
        <section class="card">
            {reason.map(|r| banner(true, "error", r))}
            {banner(false, "login-required", "You are not logged in (or your session expired). Connect again to log in.".into())}
            <a class="button" {..attr("href", href)} data-testid="login-again">"Log in again"</a>
        </section>
    }
    .into_any()
}
