//! Banners: the error banner (one per page, `role="alert"` so screen readers announce it) and
//! the info banner, both through one function so their markup is built by one piece of code.

use leptos::prelude::*;

/// An info banner (`error` false) or an error banner; `data-testid` is `testid`.
pub fn banner(error: bool, testid: &'static str, text: String) -> AnyView {
    let class = if error { "banner banner-error" } else { "banner banner-info" };
    let role = error.then_some("alert");
    view! { <div class=class data-testid=testid role=role>{text}</div> }.into_any()
}

/// Shows the message when there is one; renders nothing otherwise.
pub fn error_banner(message: RwSignal<Option<String>>) -> super::Region {
    super::region(move || message.get().map(|text| banner(true, "error", text)))
}
