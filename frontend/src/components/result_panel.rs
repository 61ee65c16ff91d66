//! A panel with a button that runs one MCP operation and a `<pre>` showing its latest result.

use leptos::prelude::*;

#[component]
pub fn ResultPanel(
    title: &'static str,
    description: &'static str,
    button_label: &'static str,
    button_testid: &'static str,
    result_testid: &'static str,
    #[prop(into)] result: Signal<Option<String>>,
    #[prop(into)] busy: Signal<bool>,
    on_run: Callback<()>,
) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{title}</h2>
            <p class="muted">{description}</p>
            <button data-testid=button_testid on:click=move |_| on_run.run(())>
                {button_label}
            </button>
            <Show when=move || busy.get()>
                <span class="muted working">" Working…"</span>
            </Show>
            {move || {
                result.get().map(|text| view! { <pre class="result" data-testid=result_testid>{text}</pre> })
            }}
        </section>
    }
}
