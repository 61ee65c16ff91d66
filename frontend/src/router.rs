//! The app's own router, in place of `leptos_router` (most of whose weight the three fixed routes
//! never used): a signal holding `location.pathname`, set by [`Router::navigate`]
//! (`history.pushState`/`replaceState`) and by the browser's back and forward buttons
//! (`popstate`). Links in the pages are plain `<a href>`, full-page loads of the same app.
//! Query parameters are read from `location.search` by [`query`], decoded by the browser.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The current path; `Copy`, so pages and their async work can keep it.
#[derive(Clone, Copy)]
pub struct Router(RwSignal<String>);

fn current_path() -> String {
    web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default()
}

impl Router {
    /// Starts following the address bar; call once, from the app shell.
    #[must_use]
    pub fn start() -> Self {
        let path = RwSignal::new(current_path());
        if let Some(window) = web_sys::window() {
            let on_pop = Closure::<dyn Fn()>::new(move || path.set(current_path()));
            let _ = window.add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
            // The listener lives as long as the page.
            on_pop.forget();
        }
        Self(path)
    }

    /// The path, tracked (the shell re-renders the page when it changes).
    #[must_use]
    pub fn path(self) -> String {
        self.0.get()
    }

    /// Goes to `url` (a path with an optional query) without reloading: a new history entry,
    /// or, with `replace`, in place of the current one (so e.g. a used `code` leaves history).
    pub fn navigate(self, url: &str, replace: bool) {
        let Some(history) = web_sys::window().and_then(|w| w.history().ok()) else { return };
        let done = if replace {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url))
        } else {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url))
        };
        if done.is_ok() {
            self.0.set(current_path());
        }
    }
}

/// The value of query parameter `name` in `location.search`, if present.
#[must_use]
pub fn query(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
}
