//! The resource server's copy of the authorization server's signing keys (its JWKS).
//!
//! A key the AS stops publishing (retired and expired, or revoked with `server keys revoke`
//! after a compromise) must stop verifying here too, so the copy has a lifetime: once it is
//! [`MAX_AGE_SECS`] old, the next request refetches it, and the new set replaces the old one
//! whole. An unknown `kid` also triggers a fetch. Fetches happen at most every
//! [`MIN_REFETCH_SECS`], so tokens with made-up `kid`s cannot make us hammer the AS.
//!
//! When the AS is the one in this process, the copy also follows its key ring directly: a key
//! the ring no longer publishes is dropped on the next request, without waiting for a fetch, and
//! a key it newly publishes is fetched on first sight, without waiting out the rate limit (the
//! ring rereads the database every `KEY_RELOAD_INTERVAL`, 10 s).
//!
//! Times are the caller's `now` (seconds), so tests control them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use ed25519_dalek::VerifyingKey;
use shared::oauth::JwkSet;

use super::verifier::Rejected;
use crate::oauth::jwt::{self, AccessClaims, Expect, Invalid};
use crate::oauth::keys::{verifying_keys, KeyRing, SigningKeys};

/// Keys older than this are refetched before use.
pub const MAX_AGE_SECS: i64 = 300;
/// Least time between two fetches.
pub const MIN_REFETCH_SECS: i64 = 10;

pub struct JwksCache {
    http: reqwest::Client,
    url: String,
    keys: RwLock<HashMap<String, VerifyingKey>>,
    times: Mutex<Times>,
    /// The in-process AS's key ring, when `url` is its JWKS.
    local: Option<Arc<SigningKeys>>,
    /// The ring the keys were last pruned against.
    synced: Mutex<Option<Arc<KeyRing>>>,
}

#[derive(Default)]
struct Times {
    /// When the keys now held were fetched.
    fetched: Option<i64>,
    /// When a fetch was last started, successful or not.
    tried: Option<i64>,
}

impl JwksCache {
    pub fn new(http: reqwest::Client, url: String) -> Self {
        Self { http, url, keys: RwLock::default(), times: Mutex::default(), local: None, synced: Mutex::default() }
    }

    /// Also drops at once every key `local` (this process's AS) no longer publishes.
    #[must_use]
    pub fn following(self, local: Arc<SigningKeys>) -> Self {
        Self { local: Some(local), ..self }
    }

    /// Verifies `token` with the keys held for `expect.now`: refetched first when stale, and once
    /// more when the token names a key not held.
    pub async fn verify(&self, token: &str, expect: &Expect<'_>) -> Result<AccessClaims, Rejected> {
        self.verify_keyed(token, expect).await.map(|(claims, _, _)| claims)
    }

    /// [`Self::verify`], also returning the `kid` and the key that verified the signature.
    pub async fn verify_keyed(
        &self,
        token: &str,
        expect: &Expect<'_>,
    ) -> Result<(AccessClaims, String, VerifyingKey), Rejected> {
        let now = expect.now;
        self.refresh_if_stale(now).await;
        let result = match self.verify_held(token, expect) {
            // A key this process's AS publishes is fetched at once (made-up kids are not).
            Err(Invalid::UnknownKey(kid)) if self.published_locally(&kid) || self.may_fetch(now) => {
                self.fetch(now).await?;
                self.verify_held(token, expect)
            }
            other => other,
        };
        result.map_err(|invalid| match invalid {
            Invalid::UnknownKey(_) => Rejected::Invalid("the access token was signed by an unknown key"),
            Invalid::Malformed => Rejected::Invalid("the access token is malformed"),
            Invalid::Refused(why) => Rejected::Invalid(why),
        })
    }

    /// Whether `key` is still the key held as `kid` for `now`, after the same upkeep as
    /// [`Self::verify`] (refetch when stale, follow the local ring): a token verified earlier is
    /// accepted again only while this holds, so a withdrawn key stops its cached tokens too.
    pub async fn holds(&self, kid: &str, key: &VerifyingKey, now: i64) -> bool {
        self.refresh_if_stale(now).await;
        self.follow_local();
        self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(kid) == Some(key)
    }

    async fn refresh_if_stale(&self, now: i64) {
        if self.is_stale(now) && self.may_fetch(now) {
            // A failed refresh keeps the old keys: the AS being down must not take the RS down.
            let _ = self.fetch(now).await;
        }
    }

    fn verify_held(&self, token: &str, expect: &Expect<'_>) -> Result<(AccessClaims, String, VerifyingKey), Invalid> {
        self.follow_local();
        let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (claims, kid) = jwt::verify_keyed(token, &keys, expect)?;
        let key = *keys.get(&kid).ok_or_else(|| Invalid::UnknownKey(kid.clone()))?;
        Ok((claims, kid, key))
    }

    fn published_locally(&self, kid: &str) -> bool {
        self.local.as_ref().is_some_and(|local| local.current().published_kids().any(|k| k == kid))
    }

    fn is_stale(&self, now: i64) -> bool {
        let times = self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        times.fetched.is_some_and(|t| !(0..MAX_AGE_SECS).contains(&(now - t)))
    }

    /// Claims the right to fetch now, if the last attempt is long enough ago (or in the future:
    /// the clock was set back).
    fn may_fetch(&self, now: i64) -> bool {
        let mut times = self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if times.tried.is_some_and(|t| (0..MIN_REFETCH_SECS).contains(&(now - t))) {
            return false;
        }
        times.tried = Some(now);
        true
    }

    async fn fetch(&self, now: i64) -> Result<(), Rejected> {
        let set: JwkSet = async { self.http.get(&self.url).send().await?.error_for_status()?.json().await }
            .await
            .map_err(|e: reqwest::Error| {
                tracing::error!(error = %e, "fetching the JWKS failed");
                Rejected::Unavailable
            })?;
        let mut keys = verifying_keys(&set);
        // The AS may have dropped a key since it answered.
        if let Some(local) = &self.local {
            let ring = local.current();
            let published: HashSet<&str> = ring.published_kids().collect();
            keys.retain(|kid, _| published.contains(kid.as_str()));
        }
        tracing::info!(keys = keys.len(), "JWKS refreshed");
        *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = keys;
        self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner).fetched = Some(now);
        Ok(())
    }

    /// Drops the keys the in-process AS stopped publishing, whenever its ring has changed.
    fn follow_local(&self) {
        let Some(local) = &self.local else { return };
        let ring = local.current();
        let mut synced = self.synced.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if synced.as_ref().is_some_and(|s| Arc::ptr_eq(s, &ring)) {
            return;
        }
        let published: HashSet<&str> = ring.published_kids().collect();
        let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = keys.len();
        keys.retain(|kid, _| published.contains(kid.as_str()));
        if keys.len() < before {
            tracing::info!(dropped = before - keys.len(), "dropped signing keys the authorization server withdrew");
        }
        drop(keys);
        *synced = Some(ring);
    }

    /// The `kid`s held (for tests).
    pub fn kids(&self) -> Vec<String> {
        let mut kids: Vec<String> =
            self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner).keys().cloned().collect();
        kids.sort();
        kids
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use ed25519_dalek::SigningKey;
    use shared::oauth::Jwk;

    use super::*;

    /// A JWKS endpoint on 127.0.0.1:0 whose key set the test changes, counting fetches.
    struct JwksServer {
        url: String,
        published: Arc<Mutex<JwkSet>>,
        hits: Arc<AtomicUsize>,
    }

    impl JwksServer {
        async fn start() -> Self {
            let published = Arc::new(Mutex::new(JwkSet { keys: vec![] }));
            let hits = Arc::new(AtomicUsize::new(0));
            let (set, count) = (published.clone(), hits.clone());
            let app = axum::Router::new().route(
                "/jwks",
                axum::routing::get(move || {
                    count.fetch_add(1, Ordering::SeqCst);
                    let body = set.lock().unwrap().clone();
                    async move { axum::Json(body) }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/jwks", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await });
            Self { url, published, hits }
        }

        fn publish(&self, keys: &[(&str, &SigningKey)]) {
            let jwk = |(kid, key): &(&str, &SigningKey)| Jwk {
                kty: "OKP".into(),
                crv: Some("Ed25519".into()),
                x: Some(URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())),
                kid: Some((*kid).into()),
                alg: Some(jwt::ALG.into()),
                use_: Some("sig".into()),
            };
            *self.published.lock().unwrap() = JwkSet { keys: keys.iter().map(jwk).collect() };
        }

        fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }
    }

    const T0: i64 = 1_700_000_000;

    fn token(kid: &str, key: &SigningKey) -> String {
        let claims = AccessClaims {
            iss: "https://as.example".into(),
            sub: "u".into(),
            aud: "https://rs.example/mcp".into(),
            client_id: "c".into(),
            scope: "user".into(),
            exp: T0 + 3600,
            iat: T0,
            nbf: None,
            jti: "j".into(),
            gid: None,
        };
        jwt::sign(kid, key, &claims)
    }

    fn at(now: i64) -> Expect<'static> {
        Expect { issuer: "https://as.example", audience: "https://rs.example/mcp", now, leeway: 0 }
    }

    #[tokio::test]
    async fn keys_expire_and_an_unpublished_key_stops_verifying() {
        let server = JwksServer::start().await;
        let (a, b) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
        server.publish(&[("a", &a)]);
        let cache = JwksCache::new(reqwest::Client::new(), server.url.clone());
        let old = token("a", &a);
        assert!(cache.verify(&old, &at(T0)).await.is_ok());
        assert_eq!(server.hits(), 1);

        // Key `a` is withdrawn: still held while the copy is fresh (no fetch per request) ...
        server.publish(&[("b", &b)]);
        assert!(cache.verify(&old, &at(T0 + MAX_AGE_SECS - 1)).await.is_ok());
        assert_eq!(server.hits(), 1);
        // ... and refused once it is stale: the refetched set replaces it whole.
        let refused = cache.verify(&old, &at(T0 + MAX_AGE_SECS)).await;
        assert_eq!(refused.unwrap_err(), Rejected::Invalid("the access token was signed by an unknown key"));
        assert_eq!(server.hits(), 2);
        assert_eq!(cache.kids(), vec!["b".to_owned()]);
        assert!(cache.verify(&token("b", &b), &at(T0 + MAX_AGE_SECS + 1)).await.is_ok());
        assert_eq!(server.hits(), 2, "b was in the refetched set");
    }

    #[tokio::test]
    async fn unknown_kids_refetch_at_most_every_few_seconds() {
        let server = JwksServer::start().await;
        let a = SigningKey::from_bytes(&[1; 32]);
        server.publish(&[("a", &a)]);
        let cache = JwksCache::new(reqwest::Client::new(), server.url.clone());
        assert!(cache.verify(&token("a", &a), &at(T0)).await.is_ok());
        let forged = token("made-up", &SigningKey::from_bytes(&[9; 32]));
        for dt in 0..MIN_REFETCH_SECS {
            assert!(cache.verify(&forged, &at(T0 + dt)).await.is_err());
        }
        assert_eq!(server.hits(), 1, "no fetch within {MIN_REFETCH_SECS} s of the last");
        assert!(cache.verify(&forged, &at(T0 + MIN_REFETCH_SECS)).await.is_err());
        assert_eq!(server.hits(), 2);
    }
}
