//! The error banner: one per page, `role="alert"` so screen readers announce it.

use leptos::prelude::*;

/// Shows the message when there is one; renders nothing otherwise.
#[component]
pub fn ErrorBanner(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|text| {
            view! {
                <div class="banner banner-error" data-testid="error" role="alert">
                    {text}
                </div>
            }
        })
    }
}
