//! The authorization server's cookies: a random 256-bit value plus an HMAC-SHA256 tag over the
//! cookie's name and value, `HttpOnly`, `SameSite=Lax`, and on https `Secure` with the `__Host-`
//! prefix (no `Domain`, `Path=/`). A cookie with a bad tag is treated as absent before any database
//! lookup; the value's meaning still lives in the database (only hashes are stored).

use axum::http::{header, HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The browser-binding CSRF secret.
pub const CSRF: &str = "mcp_as_csrf";
/// The login session, so a second authorization skips the password.
pub const SESSION: &str = "mcp_as_session";

/// Signs and checks cookies; built once at start from the stored key.
#[derive(Clone)]
pub struct CookieSigner {
    key: [u8; 32],
    secure: bool,
}

impl std::fmt::Debug for CookieSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieSigner").field("secure", &self.secure).finish_non_exhaustive()
    }
}

/// A random token from `secrets::random_token`: 43 base64url characters.
fn is_token(v: &str) -> bool {
    v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl CookieSigner {
    /// `secure`: the issuer is https, so cookies get `Secure` and the `__Host-` prefix.
    pub fn new(key: [u8; 32], secure: bool) -> Self {
        Self { key, secure }
    }

    fn name(&self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    fn mac(&self, name: &str, value: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(name.as_bytes());
        mac.update(b"=");
        mac.update(value.as_bytes());
        mac
    }

    /// A value bound to `label` and `parts` under the cookie key (HMAC-SHA256, base64url), for
    /// form tokens nobody without the key can compute. The NUL-separated input can never equal a
    /// cookie tag's `name=value`, so neither can stand in for the other.
    pub fn derive(&self, label: &str, parts: &[&str]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"derive\0");
        mac.update(label.as_bytes());
        for part in parts {
            mac.update(b"\0");
            mac.update(part.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The cookie's value, if present, shaped like one of our tokens and carrying a valid tag.
    pub fn read(&self, headers: &HeaderMap, base: &str) -> Option<String> {
        let name = self.name(base);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(k, _)| *k == name)
            .find_map(|(_, v)| {
                let (value, tag) = v.split_once('.')?;
                let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
                (is_token(value) && self.mac(&name, value).verify_slice(&tag).is_ok()).then(|| value.to_owned())
            })
    }

    /// A `Set-Cookie` value for `value`, signed; `max_age` 0 deletes the cookie.
    pub fn set(&self, base: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
        let name = self.name(base);
        let signed = if value.is_empty() {
            String::new()
        } else {
            format!("{value}.{}", URL_SAFE_NO_PAD.encode(self.mac(&name, value).finalize().into_bytes()))
        };
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!("{name}={signed}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"))
            .ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn jar(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        h
    }

    fn pair(set_cookie: &HeaderValue) -> String {
        set_cookie.to_str().unwrap().split(';').next().unwrap().to_owned()
    }

    const VALUE: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

    #[test]
    fn a_signed_cookie_reads_back_and_a_tampered_one_does_not() {
        let signer = CookieSigner::new([7; 32], false);
        let cookie = pair(&signer.set(SESSION, VALUE, 60).unwrap());
        assert_eq!(signer.read(&jar(&cookie), SESSION).as_deref(), Some(VALUE));
        let other_value = cookie.replacen("abc", "abd", 1);
        assert_eq!(signer.read(&jar(&other_value), SESSION), None);
        let unsigned = format!("{SESSION}={VALUE}");
        assert_eq!(signer.read(&jar(&unsigned), SESSION), None);
        // A tag made for one cookie name does not validate under another.
        let renamed = cookie.replacen(SESSION, CSRF, 1);
        assert_eq!(signer.read(&jar(&renamed), CSRF), None);
        // Another key's signature is refused.
        assert_eq!(CookieSigner::new([8; 32], false).read(&jar(&cookie), SESSION), None);
    }

    #[test]
    fn derived_values_depend_on_key_label_and_every_part() {
        let signer = CookieSigner::new([7; 32], false);
        let v = signer.derive("csrf-request", &[VALUE, "req1"]);
        assert_eq!(v, signer.derive("csrf-request", &[VALUE, "req1"]));
        assert_ne!(v, signer.derive("csrf-request", &[VALUE, "req2"]));
        assert_ne!(v, signer.derive("csrf-account", &[VALUE, "req1"]));
        assert_ne!(v, signer.derive("csrf-request", &[&format!("{VALUE}req1")]), "parts are separated");
        assert_ne!(v, CookieSigner::new([8; 32], false).derive("csrf-request", &[VALUE, "req1"]));
    }

    #[test]
    fn https_cookies_use_the_host_prefix_and_secure() {
        let signer = CookieSigner::new([7; 32], true);
        let set = signer.set(CSRF, VALUE, 60).unwrap();
        let text = set.to_str().unwrap();
        assert!(text.starts_with("__Host-mcp_as_csrf=") && text.contains("; Secure") && text.contains("HttpOnly"));
        assert!(text.contains("SameSite=Lax") && !text.contains("Domain"));
        assert_eq!(signer.read(&jar(&pair(&set)), CSRF).as_deref(), Some(VALUE));
        let insecure_name = pair(&set).replacen("__Host-", "", 1);
        assert_eq!(signer.read(&jar(&insecure_name), CSRF), None);
    }
}
