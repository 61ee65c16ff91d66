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

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> i64 {
    #[allow(clippy::cast_possible_truncation)] // whole milliseconds, far below i64::MAX
    let ms = js_sys::Date::now() as i64;
    ms
}

/// The core's randomness: 128 bytes drawn up front from `window.crypto.getRandomValues` (so a
/// browser that refuses fails here, with a sentence, never with a weak generator), handed out
/// in order. One login needs 64 (PKCE verifier and `state`).
pub fn random_source() -> Result<impl FnMut(&mut [u8]), ClientError> {
    let mut pool = [0u8; 128];
    window()?
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut pool))
        .map_err(|_| ClientError::message("The browser refused to produce secure random bytes (window.crypto)."))?;
    let mut used = 0;
    Ok(move |buf: &mut [u8]| {
        let end = (used + buf.len()).min(pool.len());
        let n = end - used;
        buf[..n].copy_from_slice(&pool[used..end]);
        used = end;
    })
}

/// Full-page navigation (`window.location.assign`): the authorization request must leave the SPA.
pub fn redirect(url: &str) -> Result<(), ClientError> {
    window()?
        .location()
        .assign(url)
        .map_err(|_| ClientError::message(format!("The browser refused to navigate to {url}.")))
}
