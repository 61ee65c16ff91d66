//! Signing keys. The private seed is stored in the database, which already holds everything a
//! token could grant; deployments that need an HSM would replace this module.

use sqlx::FromRow;

use super::Store;
use crate::error::Error;

#[derive(Clone, FromRow)]
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

    pub async fn insert_signing_key(&self, row: &SigningKeyRow) -> Result<(), Error> {
        sqlx::query("INSERT INTO signing_keys (kid, seed_b64, created_at, retired_at) VALUES (?, ?, ?, ?)")
            .bind(&row.kid)
            .bind(&row.seed_b64)
            .bind(row.created_at)
            .bind(row.retired_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Retires every key but `keep` (rotation); they stay published until their tokens expire.
    pub async fn retire_signing_keys_except(&self, keep: &str, now: i64) -> Result<(), Error> {
        sqlx::query("UPDATE signing_keys SET retired_at = ? WHERE kid != ? AND retired_at IS NULL")
            .bind(now)
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
