//! The authorization server's cookies: random 256-bit values, `HttpOnly`, `SameSite=Lax`, and on
//! https `Secure` with the `__Host-` prefix (no `Domain`, `Path=/`). Their meaning lives in the
//! database (only hashes are stored), so a cookie cannot be forged or altered into another one.

use axum::http::{header, HeaderMap, HeaderValue};

/// The browser-binding CSRF secret.
pub const CSRF: &str = "mcp_as_csrf";
/// The login session, so a second authorization skips the password.
pub const SESSION: &str = "mcp_as_session";

fn name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The cookie's value, if present and shaped like one of our random tokens.
pub fn read(headers: &HeaderMap, base: &str, secure: bool) -> Option<String> {
    let name = name(base, secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn set(base: &str, value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        name(base, secure),
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&cookie).ok()
}
