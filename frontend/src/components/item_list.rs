//! A list of named things (MCP tools or resources): a code-formatted key and a description.

use leptos::prelude::*;

/// `items` are `(key, description)` pairs; each `<li>` carries `data-testid=item_testid`.
#[component]
pub fn ItemList(title: &'static str, item_testid: &'static str, items: Vec<(String, String)>) -> impl IntoView {
    let empty = items.is_empty();
    view! {
        <section class="card">
            <h2>{title}</h2>
            {empty.then(|| view! { <p class="muted">"None listed by the server."</p> })}
            <ul class="items">
                {items
                    .into_iter()
                    .map(|(key, description)| {
                        view! {
                            <li data-testid=item_testid>
                                <code>{key}</code>
                                " "
                                <span class="muted">{description}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
