//! The browser-binding secret: a random value in a signed cookie. Forms never carry the secret
//! itself but a token derived from it under the server's cookie key and bound to what the form
//! acts on: the pending authorization request (login, consent) or the login session (account).
//! A pending request also stores the secret's hash, so a form posted from another browser is
//! refused.
//!
//! Why bind: without `__Host-` (plain-http issuers) a sibling host can plant a CSRF cookie whose
//! value it knows (cookies are not isolated by port or subdomain). The token for the victim's
//! request or session still needs that request's id or the victim's session cookie and the key,
//! which the planter has neither of. Browsers also say where a form came from: a post that
//! `Sec-Fetch-Site` marks as `same-site` or `cross-site` (a sibling host, another site) is refused.

use axum::http::{HeaderMap, HeaderValue};

use super::cookies::{self, CookieSigner};
use crate::oauth::secrets;
use crate::store::AuthRequest;

/// The existing secret, or a new one with the `Set-Cookie` value to send.
pub fn ensure(headers: &HeaderMap, signer: &CookieSigner) -> (String, Option<HeaderValue>) {
    if let Some(existing) = signer.read(headers, cookies::CSRF) {
        return (existing, None);
    }
    let fresh = secrets::random_token();
    let cookie = signer.set(cookies::CSRF, &fresh, 86_400);
    (fresh, cookie)
}

/// The login and consent forms' token for the pending request `request_id`.
pub fn request_token(signer: &CookieSigner, secret: &str, request_id: &str) -> String {
    signer.derive("csrf-request", &[secret, request_id])
}

/// The account page's token: bound to this browser's login session (none: the empty string).
pub fn account_token(signer: &CookieSigner, headers: &HeaderMap, secret: &str) -> String {
    let session = signer.read(headers, cookies::SESSION).unwrap_or_default();
    signer.derive("csrf-account", &[secret, &session])
}

/// False when the browser says the form was posted from another origin of the same site or
/// from another site. Absent (older browsers, non-browser clients) is left to the token check.
fn from_this_origin(headers: &HeaderMap) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).unwrap_or("");
    !site.eq_ignore_ascii_case("same-site") && !site.eq_ignore_ascii_case("cross-site")
}

fn equal(a: &str, b: &str) -> bool {
    shared::pkce::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// A login or consent form for `pending`: this browser's secret is the one the request was made
/// with, and the form's token was made for this request.
pub fn check(headers: &HeaderMap, signer: &CookieSigner, form_token: Option<&str>, pending: &AuthRequest) -> bool {
    let (Some(secret), Some(form)) = (signer.read(headers, cookies::CSRF), form_token) else {
        return false;
    };
    from_this_origin(headers)
        && equal(&secrets::hash(&secret), &pending.csrf_hash)
        && equal(form, &request_token(signer, &secret, &pending.id))
}

/// An account form: its token was made for this browser's secret and login session.
pub fn check_account(headers: &HeaderMap, signer: &CookieSigner, form_token: Option<&str>) -> bool {
    let (Some(secret), Some(form)) = (signer.read(headers, cookies::CSRF), form_token) else {
        return false;
    };
    from_this_origin(headers) && equal(form, &account_token(signer, headers, &secret))
}
