//! Signing keys. The private seed is stored in the database, which already holds everything a
//! token could grant; deployments that need an HSM would replace this module.

use super::Store;
use crate::error::Error;

#[derive(Clone)]
pub struct SigningKeyRow {
    pub kid: String,
    pub seed_b64: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow").field("kid", &self.kid).field("seed_b64", &"<redacted>").finish()
    }
}

impl Store {
    /// Keys still worth publishing (unretired, or retired after `published_since`), newest first.
    pub async fn signing_keys(&self, published_since: i64) -> Result<Vec<SigningKeyRow>, Error> {
        Ok(sqlx::query_as(
            "SELECT * FROM signing_keys WHERE retired_at IS NULL OR retired_at > ? ORDER BY created_at DESC, kid",
        )
        .bind(published_since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Stores `row` as the signing key and retires every other, in one transaction so that there
    /// is never a moment without exactly one active key. Returns the retired kids.
    pub async fn rotate_signing_key(&self, row: &SigningKeyRow, now: i64) -> Result<Vec<String>, Error> {
        let mut tx = self.pool.begin().await?;
        let retired: Vec<(String,)> =
            sqlx::query_as("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL RETURNING kid")
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("INSERT INTO signing_keys (kid, seed_b64, created_at, retired_at) VALUES (?, ?, ?, NULL)")
            .bind(&row.kid)
            .bind(&row.seed_b64)
            .bind(row.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(retired.into_iter().map(|(kid,)| kid).collect())
    }

    /// Every stored key, the active one first, then the most recently retired (for
    /// `server keys list`; creation times alone tie within a second).
    pub async fn all_signing_keys(&self) -> Result<Vec<SigningKeyRow>, Error> {
        Ok(sqlx::query_as(
            "SELECT * FROM signing_keys ORDER BY retired_at IS NOT NULL, retired_at DESC, created_at DESC, kid",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
