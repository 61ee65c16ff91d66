//! The browser-binding secret: a random value in a cookie, echoed in each form. A pending request
//! stores only its hash, so a form posted from another browser (or forged by another site, which
//! can read neither the cookie nor the page) is refused.

use axum::http::{HeaderMap, HeaderValue};

use super::cookies::{self, CookieSigner};
use crate::oauth::secrets;

/// The existing secret, or a new one with the `Set-Cookie` value to send.
pub fn ensure(headers: &HeaderMap, signer: &CookieSigner) -> (String, Option<HeaderValue>) {
    if let Some(existing) = signer.read(headers, cookies::CSRF) {
        return (existing, None);
    }
    let fresh = secrets::random_token();
    let cookie = signer.set(cookies::CSRF, &fresh, 86_400);
    (fresh, cookie)
}

/// True when the form's token equals the cookie.
pub fn matches_cookie(headers: &HeaderMap, signer: &CookieSigner, form_token: Option<&str>) -> bool {
    let (Some(cookie), Some(form)) = (signer.read(headers, cookies::CSRF), form_token) else {
        return false;
    };
    shared::pkce::constant_time_eq(cookie.as_bytes(), form.as_bytes())
}

/// True when the form's token equals the cookie and both match the pending request's hash.
pub fn check(headers: &HeaderMap, signer: &CookieSigner, form_token: Option<&str>, stored_hash: &str) -> bool {
    matches_cookie(headers, signer, form_token)
        && form_token
            .is_some_and(|t| shared::pkce::constant_time_eq(secrets::hash(t).as_bytes(), stored_hash.as_bytes()))
}
