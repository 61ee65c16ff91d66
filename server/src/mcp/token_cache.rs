//! Verified access tokens, so that a busy client does not cost one Ed25519 verification (and one
//! JSON parse of the claims) per `/mcp` request.
//!
//! Keyed by the token's SHA-256 (never the token itself). An entry keeps what the checks that
//! can change over a token's life need, and the verifier makes them again on every hit: the
//! times (`exp`/`nbf`/`iat` with the leeway, through the same [`jwt::check_times`]), the
//! revocation denylist (by `gid` and `jti`), and the signing key (the entry names its `kid` and
//! the key it verified with; the hit stands only while the JWKS copy still holds that very key, so
//! `keys revoke` refuses cached tokens as soon as the copy drops the key). What cannot change
//! (signature, issuer, audience, `typ`) is not redone. Bounded: LRU over [`MAX_ENTRIES`].

use std::sync::{Arc, Mutex};

use ed25519_dalek::VerifyingKey;
use hashlink::LruCache;
use sha2::{Digest as _, Sha256};

use super::verifier::AuthContext;
use crate::oauth::jwt::{self, Expect, Invalid};

/// Tokens remembered at most (about 200 bytes each, plus the scopes).
pub const MAX_ENTRIES: usize = 10_000;

/// What a successful verification proved, and what must be checked again on every use.
#[derive(Clone, Debug)]
pub struct Verified {
    pub ctx: Arc<AuthContext>,
    pub kid: String,
    pub key: VerifyingKey,
    pub gid: Option<String>,
    pub jti: String,
    pub exp: i64,
    pub nbf: Option<i64>,
    pub iat: i64,
}

impl Verified {
    /// The time checks of [`jwt::verify`], for `expect.now`.
    pub fn check_times(&self, expect: &Expect<'_>) -> Result<(), Invalid> {
        jwt::check_times(self.exp, self.nbf, self.iat, expect)
    }
}

pub struct TokenCache {
    entries: Mutex<LruCache<[u8; 32], Arc<Verified>>>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::with_capacity(MAX_ENTRIES)
    }
}

impl TokenCache {
    pub fn with_capacity(capacity: usize) -> Self {
        Self { entries: Mutex::new(LruCache::new(capacity.max(1))) }
    }

    /// The cache key of `token`.
    pub fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The entry for `key`, if any (a use: it becomes the most recent).
    pub fn get(&self, key: &[u8; 32]) -> Option<Arc<Verified>> {
        self.lock().get(key).cloned()
    }

    pub fn put(&self, key: [u8; 32], verified: Verified) {
        self.lock().insert(key, Arc::new(verified));
    }

    /// Forgets `key` (its token failed a check: no reason to keep it).
    pub fn remove(&self, key: &[u8; 32]) {
        self.lock().remove(key);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<[u8; 32], Arc<Verified>>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified(exp: i64) -> Verified {
        Verified {
            ctx: Arc::new(AuthContext {
                user_id: "u".into(),
                client_id: "c".into(),
                scopes: shared::scopes::ScopeSet::default(),
            }),
            kid: "k".into(),
            key: ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key(),
            gid: None,
            jti: "j".into(),
            exp,
            nbf: None,
            iat: 0,
        }
    }

    #[test]
    fn stays_bounded_and_keeps_the_recently_used() {
        let cache = TokenCache::with_capacity(3);
        for t in ["a", "b", "c"] {
            cache.put(TokenCache::key(t), verified(100));
        }
        assert!(cache.get(&TokenCache::key("a")).is_some(), "a is now the most recent");
        cache.put(TokenCache::key("d"), verified(100));
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&TokenCache::key("b")).is_none(), "the least recently used went");
        assert!(cache.get(&TokenCache::key("a")).is_some());
        let default = TokenCache::default();
        for i in 0..MAX_ENTRIES + 10 {
            default.put(TokenCache::key(&i.to_string()), verified(100));
        }
        assert_eq!(default.len(), MAX_ENTRIES);
    }

    #[test]
    fn times_are_checked_like_a_fresh_verification() {
        let expect = |now| Expect { issuer: "i", audience: "a", now, leeway: 0 };
        let v = verified(100);
        assert!(v.check_times(&expect(99)).is_ok());
        assert_eq!(v.check_times(&expect(100)), Err(Invalid::Refused("the access token has expired")));
        let early = Verified { nbf: Some(50), ..verified(100) };
        assert!(early.check_times(&expect(49)).is_err());
        assert!(early.check_times(&expect(50)).is_ok());
    }
}
