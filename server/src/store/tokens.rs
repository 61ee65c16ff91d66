//! Access tokens, stored by hash. Revocation is a timestamp, so introspection sees it at once.

use super::revocations::{log_families, log_revocation, RevokedKind};
use super::SqlStore;
use async_trait::async_trait;

use super::sql::serializable;
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
    /// The grant this token belongs to (its `gid` claim; the refresh-token family, if the client
    /// refreshes). `None` only for tokens issued before grants were named.
    pub family_id: Option<String>,
    /// The JWT's `jti`, which a single-token revocation names to the resource servers.
    pub jti: Option<String>,
}

impl AccessToken {
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// Access tokens.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_access_token(&self, t: &AccessToken) -> Result<(), Error>;

    async fn find_access_token(&self, token_hash: &str) -> Result<Option<AccessToken>, Error>;

    /// Revokes the grant `grant_id` that a code started, every token minted from the code, and
    /// the refresh families they belong to (called when the code is replayed), logging the grants
    /// for the resource servers. Returns how many access tokens were revoked.
    async fn revoke_tokens_from_code(&self, code_hash: &str, grant_id: &str, now: i64) -> Result<u64, Error>;

    /// Revokes one token if it belongs to `client_id`, naming its `jti` to the resource servers;
    /// true when a live token was revoked.
    async fn revoke_access_token(&self, token_hash: &str, client_id: &str, now: i64) -> Result<bool, Error>;

    /// (active tokens, distinct clients authorized) for a user's stats: clients with a stored
    /// token or a remembered grant (expired tokens are purged after a while).
    async fn token_stats(&self, user_id: &str, now: i64) -> Result<(i64, i64), Error>;
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_access_token(&self, t: &AccessToken) -> Result<(), Error> {
        insert_access(&self.pool, t).await
    }

    async fn find_access_token(&self, token_hash: &str) -> Result<Option<AccessToken>, Error> {
        Ok(sqlx::query_as("SELECT * FROM access_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn revoke_tokens_from_code(&self, code_hash: &str, grant_id: &str, now: i64) -> Result<u64, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            log_revocation(&mut tx, RevokedKind::Grant, grant_id, now).await?;
            let families = "SELECT family_id FROM access_tokens WHERE code_hash = $1 AND family_id <> $2";
            log_families(&mut tx, families, &[code_hash, grant_id], now).await?;
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND (family_id = $2 OR family_id IN \
                 (SELECT family_id FROM access_tokens WHERE code_hash = $3 AND family_id IS NOT NULL))",
            )
            .bind(now)
            .bind(grant_id)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query(
                "UPDATE access_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND (code_hash = $2 OR family_id = $3 \
                 OR family_id IN (SELECT family_id FROM access_tokens WHERE code_hash = $4 AND family_id IS NOT NULL))",
            )
            .bind(now)
            .bind(code_hash)
            .bind(grant_id)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
            self.commit_revocation(tx).await?;
            Ok(done.rows_affected())
        })
    }

    async fn revoke_access_token(&self, token_hash: &str, client_id: &str, now: i64) -> Result<bool, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            let revoked: Option<(Option<String>,)> = sqlx::query_as(
                "UPDATE access_tokens SET revoked_at = $1 WHERE token_hash = $2 AND client_id = $3 AND revoked_at IS NULL \
                 RETURNING jti",
            )
            .bind(now)
            .bind(token_hash)
            .bind(client_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((jti,)) = revoked else {
                tx.rollback().await?;
                return Ok(false);
            };
            if let Some(jti) = jti {
                log_revocation(&mut tx, RevokedKind::Token, &jti, now).await?;
            }
            self.commit_revocation(tx).await?;
            Ok(true)
        })
    }

    async fn token_stats(&self, user_id: &str, now: i64) -> Result<(i64, i64), Error> {
        let row: (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN revoked_at IS NULL AND expires_at > $1 THEN 1 ELSE 0 END), 0), \
             (SELECT COUNT(*) FROM (SELECT client_id FROM access_tokens WHERE user_id = $2 \
              UNION SELECT client_id FROM grants WHERE user_id = $2) AS c) \
             FROM access_tokens WHERE user_id = $2",
        )
        .bind(now)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row)
    }
}

pub(super) async fn insert_access<'e>(db: impl sqlx::AnyExecutor<'e>, t: &AccessToken) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO access_tokens (token_hash, client_id, user_id, scope, audience, code_hash, issued_at, expires_at, \
         family_id, jti) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
    .bind(&t.jti)
    .execute(db)
    .await?;
    Ok(())
}
