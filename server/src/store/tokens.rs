//! Access tokens, stored by hash. Revocation is a timestamp, so introspection sees it at once.

use super::Store;
use crate::error::Error;

#[derive(Clone, Debug)]
pub struct AccessToken {
    pub token_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub audience: String,
    pub code_hash: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The refresh-token family this token belongs to, if the client uses refresh tokens.
    pub family_id: Option<String>,
}

impl AccessToken {
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

impl Store {
    pub async fn insert_access_token(&self, t: &AccessToken) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO access_tokens (token_hash, client_id, user_id, scope, audience, code_hash, issued_at, expires_at, \
             family_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&t.token_hash)
        .bind(&t.client_id)
        .bind(&t.user_id)
        .bind(&t.scope)
        .bind(&t.audience)
        .bind(&t.code_hash)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .bind(&t.family_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn find_access_token(&self, token_hash: &str) -> Result<Option<AccessToken>, Error> {
        Ok(sqlx::query_as("SELECT * FROM access_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Revokes every token minted from a code, and the refresh families it started (called when
    /// the code is replayed). Returns how many access tokens were revoked.
    pub async fn revoke_tokens_from_code(&self, code_hash: &str, now: i64) -> Result<u64, Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND family_id IN \
             (SELECT family_id FROM access_tokens WHERE code_hash = ? AND family_id IS NOT NULL)",
        )
        .bind(now)
        .bind(code_hash)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE access_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND (code_hash = ? OR family_id IN \
             (SELECT family_id FROM access_tokens WHERE code_hash = ? AND family_id IS NOT NULL))",
        )
        .bind(now)
        .bind(code_hash)
        .bind(code_hash)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Revokes one token if it belongs to `client_id`; true when a live token was revoked.
    pub async fn revoke_access_token(&self, token_hash: &str, client_id: &str, now: i64) -> Result<bool, Error> {
        let done = sqlx::query(
            "UPDATE access_tokens SET revoked_at = ? WHERE token_hash = ? AND client_id = ? AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(token_hash)
        .bind(client_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// (active tokens, distinct clients authorized) for a user's stats: clients with a stored
    /// token or a remembered grant (expired tokens are purged after a while).
    pub async fn token_stats(&self, user_id: &str, now: i64) -> Result<(i64, i64), Error> {
        let row: (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN revoked_at IS NULL AND expires_at > ?1 THEN 1 ELSE 0 END), 0), \
             (SELECT COUNT(*) FROM (SELECT client_id FROM access_tokens WHERE user_id = ?2 \
              UNION SELECT client_id FROM grants WHERE user_id = ?2)) \
             FROM access_tokens WHERE user_id = ?2",
        )
        .bind(now)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row)
    }
}
