//! The key ring that signs access tokens: the newest key signs, every key whose tokens may still
//! be alive is published in the JWKS. The first start creates a key; later starts reuse it.

use std::collections::HashMap;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand::RngCore as _;
use shared::oauth::{Jwk, JwkSet};

use super::jwt::{self, AccessClaims};
use crate::error::Error;
use crate::store::keys::SigningKeyRow;
use crate::store::Store;

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

impl KeyRing {
    /// Loads the keys whose tokens may still be alive (`max_token_ttl`), creating one if none.
    pub async fn load_or_create(store: &Store, now: i64, max_token_ttl: i64) -> Result<Self, Error> {
        let mut rows = store.signing_keys(now - max_token_ttl).await?;
        if !rows.iter().any(|r| r.retired_at.is_none()) {
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let row = SigningKeyRow {
                kid: format!("k_{}", &super::secrets::random_token()[..16]),
                seed_b64: STANDARD.encode(seed),
                created_at: now,
                retired_at: None,
            };
            store.insert_signing_key(&row).await?;
            tracing::info!(kid = %row.kid, "created a new access-token signing key");
            rows.insert(0, row);
        }
        let active =
            rows.iter().find(|r| r.retired_at.is_none()).ok_or_else(|| Error::Internal("no signing key".into()))?;
        let signing = decode(active)?;
        let published =
            rows.iter().map(|r| Ok((r.kid.clone(), decode(r)?.verifying_key()))).collect::<Result<_, Error>>()?;
        Ok(Self { kid: active.kid.clone(), signing, published })
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
