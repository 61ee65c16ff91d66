//! Refresh tokens, stored by hash, rotated on every use. Contract: [`Store::claim_refresh_token`]
//! lets exactly one caller use a token; a second presentation is reported as reuse, and the
//! caller must then revoke the family with [`Store::revoke_family`].

use super::Store;
use crate::error::Error;

#[derive(Clone, Debug)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub user_id: String,
    pub scope: String,
    pub resource: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug)]
pub enum RefreshClaim {
    /// First use: now marked used; the caller may rotate.
    Claimed(RefreshToken),
    /// Already used: a replay, possibly by a thief.
    Reused(RefreshToken),
    /// Revoked before any replay (logout, grant revocation, or an earlier reuse).
    Revoked,
    Unknown,
}

impl Store {
    pub async fn insert_refresh_token(&self, t: &RefreshToken) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, resource, issued_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&t.token_hash)
        .bind(&t.family_id)
        .bind(&t.client_id)
        .bind(&t.user_id)
        .bind(&t.scope)
        .bind(&t.resource)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn claim_refresh_token(&self, token_hash: &str, now: i64) -> Result<RefreshClaim, Error> {
        let claimed: Option<RefreshToken> = sqlx::query_as(
            "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL \
             RETURNING *",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(t) = claimed {
            return Ok(RefreshClaim::Claimed(t));
        }
        let existing: Option<RefreshToken> = sqlx::query_as("SELECT * FROM refresh_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match existing {
            None => RefreshClaim::Unknown,
            Some(t) if t.revoked_at.is_some() => RefreshClaim::Revoked,
            Some(t) => RefreshClaim::Reused(t),
        })
    }

    pub async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, Error> {
        Ok(sqlx::query_as("SELECT * FROM refresh_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Revokes every refresh and access token of a family, in one transaction.
    pub async fn revoke_family(&self, family_id: &str, now: i64) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(family_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE access_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(family_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
