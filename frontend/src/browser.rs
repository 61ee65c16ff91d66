//! Thin wrappers over the browser APIs the flow needs besides `fetch`: the page origin, secure
//! random bytes, the clock and full-page navigation. Each failure becomes a [`ClientError`] with
//! a sentence; nothing here touches storage or the network.

use crate::error::ClientError;

fn window() -> Result<web_sys::Window, ClientError> {
    web_sys::window().ok_or_else(|| ClientError::message("This page is not running in a browser window."))
}

/// `window.location.origin`, e.g. `http://127.0.0.1:8080`.
pub fn origin() -> Result<String, ClientError> {
    window()?
        .location()
        .origin()
        .map_err(|_| ClientError::message("Could not read this page's origin (window.location.origin)."))
}

/// 32 bytes from `window.crypto.getRandomValues` (never a non-cryptographic generator).
pub fn random_bytes() -> Result<[u8; 32], ClientError> {
    let mut bytes = [0u8; 32];
    window()?
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes))
        .map_err(|_| ClientError::message("The browser refused to produce secure random bytes (window.crypto)."))?;
    Ok(bytes)
}

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Full-page navigation (`window.location.assign`): the authorization request must leave the SPA.
pub fn redirect(url: &str) -> Result<(), ClientError> {
    window()?
        .location()
        .assign(url)
        .map_err(|_| ClientError::message(format!("The browser refused to navigate to {url}.")))
}
