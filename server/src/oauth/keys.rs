//! The key ring that signs access tokens: the newest key signs, every key whose tokens may still
//! be alive is published in the JWKS. The first start creates a key; later starts reuse it.
//!
//! A rotated key is published at once but signs only [`PUBLISH_BEFORE_SIGNING_SECS`] later
//! (until then the key it replaced keeps signing): by then every replica has reloaded its ring
//! and every resource server can have fetched the new JWKS, so no token is ever signed by a key
//! some verifier has not heard of. A key revoked after a compromise stops signing at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::RngCore as _;
use shared::oauth::{Jwk, JwkSet};

use super::jwt::{self, AccessClaims};
use crate::error::Error;
use crate::store::keys::{KeyRevocation, SigningKeyRow};
use crate::store::{AuditEvent, Store};

pub struct KeyRing {
    kid: String,
    signing: SigningKey,
    published: Vec<(String, VerifyingKey)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("kid", &self.kid).finish_non_exhaustive()
    }
}

fn decode(row: &SigningKeyRow) -> Result<SigningKey, Error> {
    let seed: [u8; 32] = STANDARD
        .decode(&row.seed_b64)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Internal(format!("signing key {} is corrupt", row.kid)))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A fresh random Ed25519 key, not yet stored.
pub fn generate_key(now: i64) -> SigningKeyRow {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    SigningKeyRow {
        kid: format!("k_{}", &super::secrets::random_token()[..16]),
        seed_b64: STANDARD.encode(seed),
        created_at: now,
        retired_at: None,
        revoked_at: None,
    }
}

/// How long a new key is published before it signs: the ring reload (`KEY_RELOAD_INTERVAL`,
/// 10 s) plus a resource server's least time between JWKS fetches (10 s), and a margin.
pub const PUBLISH_BEFORE_SIGNING_SECS: i64 = 30;

/// `server keys rotate`: a new key signs from [`PUBLISH_BEFORE_SIGNING_SECS`] on; the old ones stay published until the
/// tokens they signed have expired, so no valid token stops verifying.
pub async fn rotate(store: &dyn Store, now: i64) -> Result<(String, Vec<String>), Error> {
    let row = generate_key(now);
    let retired = store.rotate_signing_key(&row, now).await?;
    tracing::info!(kid = %row.kid, retired = ?retired, "rotated the access-token signing key");
    Ok((row.kid, retired))
}

/// `server keys revoke <kid>`: withdraws a key at once, after a compromise: it leaves the JWKS
/// and never signs again (a running server follows within `KEY_RELOAD_INTERVAL`, 10 s). If it
/// was the active key, a new one takes over in the same transaction. Returns the `kid` of the
/// key that replaced it, if one did.
pub async fn revoke(store: &dyn Store, kid: &str, now: i64) -> Result<Option<String>, Error> {
    let replacement = generate_key(now);
    match store.revoke_signing_key(kid, &replacement, now).await? {
        KeyRevocation::Unknown => Err(Error::Config(format!("there is no signing key {kid:?} (see `keys list`)"))),
        KeyRevocation::AlreadyRevoked => Err(Error::Config(format!("signing key {kid:?} is already revoked"))),
        KeyRevocation::Revoked { replaced_active } => {
            tracing::warn!(%kid, replaced_active, "revoked an access-token signing key");
            store.audit_at(AuditEvent::SigningKeyRevoked, None, None, &format!("kid={kid}"), now).await;
            Ok(replaced_active.then_some(replacement.kid))
        }
    }
}

impl KeyRing {
    /// Loads the keys whose tokens may still be alive (`max_token_ttl`), creating one if none.
    pub async fn load_or_create(store: &dyn Store, now: i64, max_token_ttl: i64) -> Result<Self, Error> {
        // A retired key may have signed for PUBLISH_BEFORE_SIGNING_SECS after its retirement.
        let published_since = now - max_token_ttl - PUBLISH_BEFORE_SIGNING_SECS;
        let rows = store.signing_keys(published_since).await?;
        if rows.iter().any(|r| r.retired_at.is_none()) {
            return Self::from_rows(&rows, now);
        }
        let (kid, _) = rotate(store, now).await?;
        tracing::info!(%kid, "created a new access-token signing key");
        Self::from_rows(&store.signing_keys(published_since).await?, now)
    }

    fn from_rows(rows: &[SigningKeyRow], now: i64) -> Result<Self, Error> {
        let newest =
            rows.iter().find(|r| r.retired_at.is_none()).ok_or_else(|| Error::Internal("no signing key".into()))?;
        // While the newest key is still being published, the key it replaced keeps signing (a
        // key revoked after a compromise is not in `rows`, so its replacement signs at once).
        let replaced = rows
            .iter()
            .filter(|r| {
                r.retired_at.is_some_and(|at| at >= newest.created_at && at > now - PUBLISH_BEFORE_SIGNING_SECS)
            })
            .max_by_key(|r| r.retired_at);
        let active = match replaced {
            Some(previous) if newest.created_at > now - PUBLISH_BEFORE_SIGNING_SECS => previous,
            _ => newest,
        };
        let signing = decode(active)?;
        let published =
            rows.iter().map(|r| Ok((r.kid.clone(), decode(r)?.verifying_key()))).collect::<Result<_, Error>>()?;
        Ok(Self { kid: active.kid.clone(), signing, published })
    }

    /// The `kid`s in the JWKS.
    pub fn published_kids(&self) -> impl Iterator<Item = &str> {
        self.published.iter().map(|(kid, _)| kid.as_str())
    }

    /// The `kid` of the key that signs new tokens.
    pub fn active_kid(&self) -> &str {
        &self.kid
    }

    pub fn sign(&self, claims: &AccessClaims) -> String {
        jwt::sign(&self.kid, &self.signing, claims)
    }

    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .published
                .iter()
                .map(|(kid, key)| Jwk {
                    kty: "OKP".into(),
                    crv: Some("Ed25519".into()),
                    x: Some(URL_SAFE_NO_PAD.encode(key.as_bytes())),
                    kid: Some(kid.clone()),
                    alg: Some(jwt::ALG.into()),
                    use_: Some("sig".into()),
                })
                .collect(),
        }
    }
}

/// The live key ring. Another process (`server keys rotate`) may change the stored keys, so the
/// server reloads them periodically and swaps the ring; readers take a cheap snapshot.
pub struct SigningKeys {
    ring: RwLock<Arc<KeyRing>>,
    max_token_ttl: i64,
}

impl SigningKeys {
    pub async fn load_or_create(store: &dyn Store, now: i64, max_token_ttl: i64) -> Result<Self, Error> {
        let ring = KeyRing::load_or_create(store, now, max_token_ttl).await?;
        Ok(Self { ring: RwLock::new(Arc::new(ring)), max_token_ttl })
    }

    pub fn current(&self) -> Arc<KeyRing> {
        self.ring.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Rereads the stored keys: picks up a rotation and stops publishing keys whose tokens have
    /// all expired.
    pub async fn reload(&self, store: &dyn Store, now: i64) -> Result<(), Error> {
        let ring = Arc::new(KeyRing::load_or_create(store, now, self.max_token_ttl).await?);
        let before = self.current();
        if before.kid != ring.kid {
            tracing::info!(kid = %ring.kid, previous = %before.kid, "now signing with a rotated key");
        }
        *self.ring.write().unwrap_or_else(std::sync::PoisonError::into_inner) = ring;
        Ok(())
    }
}

/// The Ed25519 keys of a JWK Set, by `kid`; other key types are ignored.
pub fn verifying_keys(set: &JwkSet) -> HashMap<String, VerifyingKey> {
    set.keys
        .iter()
        .filter(|k| k.kty == "OKP" && k.crv.as_deref() == Some("Ed25519"))
        .filter_map(|k| {
            let x: [u8; 32] = URL_SAFE_NO_PAD.decode(k.x.as_deref()?).ok()?.try_into().ok()?;
            Some((k.kid.clone()?, VerifyingKey::from_bytes(&x).ok()?))
        })
        .collect()
}
