//! Signing keys. The private seed is stored in the database, which already holds everything a
//! token could grant; deployments that need an HSM would replace this module.

use super::SqlStore;
use async_trait::async_trait;

use super::sql::serializable;
use crate::error::Error;

#[derive(Clone)]
pub struct SigningKeyRow {
    pub kid: String,
    pub seed_b64: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    /// Set by `server keys revoke`: never published or used again.
    pub revoked_at: Option<i64>,
}

/// What [`KeyStore::revoke_signing_key`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyRevocation {
    /// Revoked; `replaced_active` when it was the active key and the replacement now signs.
    Revoked {
        replaced_active: bool,
    },
    AlreadyRevoked,
    Unknown,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow").field("kid", &self.kid).field("seed_b64", &"<redacted>").finish()
    }
}

/// Token signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Keys still worth publishing (unretired, or retired after `published_since`; never a
    /// revoked one), newest first.
    async fn signing_keys(&self, published_since: i64) -> Result<Vec<SigningKeyRow>, Error>;

    /// Stores `row` as the signing key and retires every other, in one transaction so that there
    /// is never a moment without exactly one active key. Returns the retired kids.
    async fn rotate_signing_key(&self, row: &SigningKeyRow, now: i64) -> Result<Vec<String>, Error>;

    /// Marks `kid` revoked (and retired) so it is neither published nor used again. If it was
    /// the active key, `replacement` is stored as the new active key in the same transaction, so
    /// there is never a moment without exactly one usable active key.
    async fn revoke_signing_key(
        &self,
        kid: &str,
        replacement: &SigningKeyRow,
        now: i64,
    ) -> Result<KeyRevocation, Error>;

    /// Every stored key, the active one first, then the most recently retired (for
    /// `server keys list`; creation times alone tie within a second).
    async fn all_signing_keys(&self) -> Result<Vec<SigningKeyRow>, Error>;
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn signing_keys(&self, published_since: i64) -> Result<Vec<SigningKeyRow>, Error> {
        Ok(sqlx::query_as(
            "SELECT * FROM signing_keys WHERE revoked_at IS NULL AND (retired_at IS NULL OR retired_at > $1) \
             ORDER BY created_at DESC, kid",
        )
        .bind(published_since)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn rotate_signing_key(&self, row: &SigningKeyRow, now: i64) -> Result<Vec<String>, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            let retired: Vec<(String,)> =
                sqlx::query_as("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL RETURNING kid")
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?;
            sqlx::query("INSERT INTO signing_keys (kid, seed_b64, created_at, retired_at) VALUES ($1, $2, $3, NULL)")
                .bind(&row.kid)
                .bind(&row.seed_b64)
                .bind(row.created_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(retired.into_iter().map(|(kid,)| kid).collect())
        })
    }

    async fn revoke_signing_key(
        &self,
        kid: &str,
        replacement: &SigningKeyRow,
        now: i64,
    ) -> Result<KeyRevocation, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            // The first statement writes, so the transaction holds the write lock from here on.
            let was: Option<(Option<i64>,)> = sqlx::query_as(
                "UPDATE signing_keys SET revoked_at = $1 WHERE kid = $2 AND revoked_at IS NULL RETURNING retired_at",
            )
            .bind(now)
            .bind(kid)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((retired_at,)) = was else {
                let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM signing_keys WHERE kid = $1")
                    .bind(kid)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Ok(if exists.is_some() { KeyRevocation::AlreadyRevoked } else { KeyRevocation::Unknown });
            };
            let replaced_active = retired_at.is_none();
            if replaced_active {
                sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE kid = $2")
                    .bind(now)
                    .bind(kid)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO signing_keys (kid, seed_b64, created_at, retired_at) VALUES ($1, $2, $3, NULL)",
                )
                .bind(&replacement.kid)
                .bind(&replacement.seed_b64)
                .bind(replacement.created_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(KeyRevocation::Revoked { replaced_active })
        })
    }

    async fn all_signing_keys(&self) -> Result<Vec<SigningKeyRow>, Error> {
        Ok(sqlx::query_as(
            "SELECT * FROM signing_keys ORDER BY retired_at IS NOT NULL, retired_at DESC, created_at DESC, kid",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
