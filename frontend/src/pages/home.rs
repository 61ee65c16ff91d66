//! `/`: asks for the MCP server URL and runs discovery, registration and the redirect to the
//! authorization server, showing every step in the timeline. When this browser keeps a client
//! registration for reuse, a button forgets it: the way out when the authorization server's page
//! says the app is not registered (e.g. after its data was reset), since that page cannot tell us.

use leptos::prelude::*;

use crate::browser;
use crate::components::{attr, banner, error_banner, flow_timeline, handler, region, siblings, typed_into};
use crate::flow::{discovery, Timeline};
use crate::router;
use crate::storage;
use crate::task::{run, Busy};

pub const DEFAULT_MCP_URL: &str = "http://127.0.0.1:8000/mcp";

pub fn home_page() -> AnyView {
    let mcp_url =
        RwSignal::new(router::query("mcp").filter(|u| !u.trim().is_empty()).unwrap_or_else(|| DEFAULT_MCP_URL.into()));
    let logged_out = router::query("logged_out").is_some();
    let has_session = storage::valid_session(browser::now_ms()).is_some();
    let timeline = Timeline::new(Vec::new());
    let error = RwSignal::new(None::<String>);
    // Counts as u32, like `Busy`: one signal type less in the bundle than a usize and a bool.
    let stored_registrations = RwSignal::new(storage::registration_count());
    let forgotten = RwSignal::new(0_u32);
    let forget = move |_| {
        storage::forget_all_registrations();
        stored_registrations.set(storage::registration_count());
        forgotten.update(|n| *n += 1);
    };

    let connecting = Busy::new();
    let connect = move |url: String| {
        run(Some(connecting), async move {
            error.set(None);
            if let Err(e) = discovery::connect(&url, timeline).await {
                error.set(Some(e.to_string()));
            }
        });
    };

    siblings(vec![
        view! {
        <section class="card">
            <h1>"Connect to an MCP server"</h1>
            <p class="muted">
                "This client discovers how the MCP server wants you to log in, registers itself with the "
                "authorization server and sends you there to sign in. Each step is shown below."
            </p>
            {logged_out.then(|| banner(false, "notice", "You have been logged out.".into()))}
            {has_session.then(|| view! {
                <p class="banner banner-info">
                    "You already have a session in this tab. "
                    <a href="/console" data-testid="open-console">"Open the console"</a>
                </p>
            }.into_any())}
            <form
                class="connect"
                on:submit=handler(move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    connect(mcp_url.get_untracked());
                })
            >
                <label for="mcp-url">"MCP server URL"</label>
                <div class="row">
                    <input
                        {..attr("id", "mcp-url")}
                        data-testid="mcp-url"
                        {..attr("type", "text")}
                        {..attr("spellcheck", "false")}
                        {..attr("autocomplete", "url")}
                        prop:value=mcp_url
                        on:input=typed_into(mcp_url)
                    />
                    <button data-testid="connect" {..attr("type", "submit")} disabled=connecting.flag()>
                        "Connect"
                    </button>
                </div>
            </form>
            {region(move || (stored_registrations.get() > 0).then(|| view! {
                <p class="muted" data-testid="stored-registration">
                    "This browser keeps the client registration of an earlier login, so Connect reuses it and "
                    "consent you already gave applies again. If the authorization server says this app is not "
                    "registered, "
                    <button class="secondary" {..attr("type", "button")} data-testid="forget-registration" on:click=handler(forget)>
                        "forget the stored registration"
                    </button>
                    " and connect again."
                </p>
            }.into_any()))}
            {region(move || (forgotten.get() > 0).then(|| banner(
                false,
                "registration-notice",
                "The stored client registration was forgotten; press Connect to register again.".into(),
            )))}
        </section>
        }
        .into_any(),
        error_banner(error).into_any(),
        flow_timeline(timeline.signal()).into_any(),
    ])
}
