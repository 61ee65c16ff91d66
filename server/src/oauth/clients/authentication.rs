//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3.1, OAuth 2.1
//! §2.4). Each client uses exactly the method it registered: `none` (a public client names itself
//! with `client_id` and must not present a secret), `client_secret_basic` or
//! `client_secret_post`. Every failure is the same `invalid_client`, so a caller learns nothing
//! about which ids exist or which method they use; the reason goes to the log.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::metadata::AuthMethod;
use crate::error::Error;
use crate::oauth::params::Params;
use crate::oauth::secrets;
use crate::store::{Client, Store};

/// What a request presents to identify its client.
#[derive(Debug)]
pub struct Credentials {
    client_id: String,
    method: AuthMethod,
    secret: Option<secrets::Secret>,
}

impl Credentials {
    /// Reads the credentials from the `Authorization` header value (if any) and the form body.
    /// Two methods at once is `invalid_request` (OAuth 2.1 §2.4: a client must not use more than
    /// one); an unreadable `Authorization` header or no `client_id` at all is `invalid_client`.
    pub fn from_request(authorization: Option<&str>, form: &Params) -> Result<Self, Error> {
        let body_id = form.get("client_id");
        let body_secret = form.get("client_secret");
        let Some(header) = authorization else {
            let client_id = body_id.ok_or(Error::ClientAuth)?.to_owned();
            return Ok(match body_secret {
                Some(s) => Self { client_id, method: AuthMethod::ClientSecretPost, secret: Some(secret(s)) },
                None => Self { client_id, method: AuthMethod::None, secret: None },
            });
        };
        let (client_id, basic_secret) = parse_basic(header).ok_or(Error::ClientAuth)?;
        if body_secret.is_some() {
            return Err(Error::invalid_request(
                "use one client authentication method: HTTP Basic or client_secret in the body, not both",
            ));
        }
        // RFC 6749 §4.1.3 lets a client repeat its id in the body; it must be the same id.
        if body_id.is_some_and(|id| id != client_id) {
            return Err(Error::invalid_request("client_id in the body differs from the Authorization header"));
        }
        Ok(Self { client_id, method: AuthMethod::ClientSecretBasic, secret: Some(secret(&basic_secret)) })
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Checks these credentials against the client they name: same method as registered, and
    /// for confidential clients the secret, compared by hash in constant time.
    pub fn verify(&self, client: &Client) -> Result<(), Error> {
        let registered = AuthMethod::parse(&client.token_endpoint_auth_method);
        if registered != Some(self.method) {
            return Err(refused(&self.client_id, "authentication method differs from the registered one"));
        }
        let Some(presented) = &self.secret else {
            return Ok(());
        };
        let Some(stored) = &client.client_secret_hash else {
            return Err(refused(&self.client_id, "the client has no secret"));
        };
        let presented = secrets::hash(presented.expose());
        if !shared::pkce::constant_time_eq(presented.as_bytes(), stored.as_bytes()) {
            return Err(refused(&self.client_id, "wrong client secret"));
        }
        Ok(())
    }
}

/// Reads the credentials, looks the client up and verifies them: the one client lookup of the
/// token and revocation endpoints.
pub async fn authenticate(
    store: &dyn Store,
    clients: &super::directory::ClientDirectory,
    authorization: Option<&str>,
    form: &Params,
) -> Result<Client, Error> {
    let credentials = Credentials::from_request(authorization, form)?;
    let Some(client) = clients.find(store, credentials.client_id()).await? else {
        return Err(refused(credentials.client_id(), "unknown client"));
    };
    credentials.verify(&client)?;
    Ok(client)
}

fn secret(s: &str) -> secrets::Secret {
    secrets::Secret(s.to_owned())
}

fn refused(client_id: &str, reason: &'static str) -> Error {
    tracing::info!(client_id = ?crate::store::clip(client_id), reason, "client authentication failed");
    Error::ClientAuth
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 7617, scheme case-insensitive;
/// RFC 6749 §2.3.1 form-encodes both parts). `None` when anything is malformed or the id empty.
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape =
        |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    let id = unescape(id).filter(|id| !id.is_empty())?;
    Some((id, unescape(secret)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        assert_eq!(parse_basic(&basic("my%20app:s%3Ac+r")), Some(("my app".into(), "s:c r".into())));
        assert_eq!(parse_basic(&format!("bAsIc  {}", STANDARD.encode("a:b"))), Some(("a".into(), "b".into())));
        assert_eq!(parse_basic(&basic(":secret")), None, "empty id");
        assert_eq!(parse_basic(&basic("no-colon")), None);
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic %%%"), None);
        assert_eq!(parse_basic("Basic"), None);
    }

    #[test]
    fn one_method_at_a_time() {
        let form = |raw: &str| Params::parse(raw.as_bytes()).expect("form");
        let header = basic("a:b");
        let both = Credentials::from_request(Some(&header), &form("client_id=a&client_secret=b"));
        assert!(matches!(both, Err(Error::OAuth { .. })), "{both:?}");
        let other_id = Credentials::from_request(Some(&header), &form("client_id=z"));
        assert!(matches!(other_id, Err(Error::OAuth { .. })), "{other_id:?}");
        let same_id = Credentials::from_request(Some(&header), &form("client_id=a")).expect("same id is fine");
        assert_eq!(same_id.method, AuthMethod::ClientSecretBasic);
        let post = Credentials::from_request(None, &form("client_id=a&client_secret=b")).expect("post");
        assert_eq!(post.method, AuthMethod::ClientSecretPost);
        assert!(matches!(Credentials::from_request(None, &form("client_secret=b")), Err(Error::ClientAuth)));
        let debug = format!("{post:?}");
        assert!(!debug.contains("\"b\""), "the secret never appears in Debug output: {debug}");
    }
}
