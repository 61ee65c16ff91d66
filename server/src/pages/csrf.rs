//! The browser-binding secret: a random value in an `HttpOnly`, `SameSite=Lax` cookie, echoed in
//! each form. A pending request stores only its hash, so a form posted from another browser (or
//! forged by another site, which can read neither the cookie nor the page) is refused.

use axum::http::{header, HeaderMap, HeaderValue};

use crate::oauth::secrets;

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-mcp_as_csrf"
    } else {
        "mcp_as_csrf"
    }
}

/// The secret from the request's cookie, if well-formed.
pub fn from_cookie(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
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

/// The existing secret, or a new one with the `Set-Cookie` value to send.
pub fn ensure(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    if let Some(existing) = from_cookie(headers, secure) {
        return (existing, None);
    }
    let fresh = secrets::random_token();
    let cookie = format!(
        "{}={fresh}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    );
    (fresh, HeaderValue::from_str(&cookie).ok())
}

/// True when the form's token equals the cookie and both match the pending request's hash.
pub fn check(headers: &HeaderMap, secure: bool, form_token: Option<&str>, stored_hash: &str) -> bool {
    let (Some(cookie), Some(form)) = (from_cookie(headers, secure), form_token) else {
        return false;
    };
    shared::pkce::constant_time_eq(cookie.as_bytes(), form.as_bytes())
        && shared::pkce::constant_time_eq(secrets::hash(&cookie).as_bytes(), stored_hash.as_bytes())
}
