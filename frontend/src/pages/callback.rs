//! `/callback`: where the authorization server sends the browser back. Shows the steps from
//! before the redirect, checks the response and exchanges the code, then replaces the URL with
//! `/console` so the code leaves the address bar and history.

use leptos::prelude::*;

use crate::components::{attr, error_banner, flow_timeline, region, siblings};
use crate::flow::callback::{self, CallbackParams};
use crate::flow::Timeline;
use crate::router::{query, Router};
use crate::storage;
use crate::task::{run, Busy};

pub fn callback_page(router: Router) -> AnyView {
    let params = CallbackParams {
        code: query("code"),
        state: query("state"),
        error: query("error"),
        error_description: query("error_description"),
        iss: query("iss"),
    };
    let error = RwSignal::new(None::<String>);
    let mut pending = storage::load_pending().unwrap_or_else(|e| {
        error.set(Some(e.to_string()));
        None
    });
    let home = match &pending {
        Some(p) => super::with_query("/", &[("mcp", &p.authorization.mcp_url)]),
        None => "/".to_owned(),
    };
    // Moved out: from here on the steps live in the timeline.
    let timeline = Timeline::new(pending.as_mut().map(|p| std::mem::take(&mut p.timeline)).unwrap_or_default());

    let finishing = Busy::new();
    run(Some(finishing), async move {
        match callback::complete(params, pending, timeline).await {
            Ok(()) => router.navigate("/console", true),
            Err(e) => error.set(Some(e.to_string())),
        }
    });

    siblings(vec![
        view! {
        <section class="card">
            <h1>"Finishing the login"</h1>
            {region(move || finishing.get().then(|| view! {
                <p class="muted">"Checking the response from the authorization server…"</p>
            }.into_any()))}
        </section>
        }
        .into_any(),
        error_banner(error).into_any(),
        flow_timeline(timeline.signal()).into_any(),
        view! {
        <p>
            <a class="button secondary" {..attr("href", home)} data-testid="start-over">"Start over"</a>
        </p>
        }
        .into_any(),
    ])
}
