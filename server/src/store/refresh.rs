//! Refresh tokens, stored by hash, rotated on every use. Contract: [`RefreshStore::rotate_refresh_token`]
//! lets exactly one caller use a token, and only while its grant is live and its user active; a
//! second presentation is reported as reuse, and the caller must then revoke the family with
//! [`RefreshStore::revoke_family`].

use super::revocations::{log_revocation, RevokedKind};
use super::tokens::insert_access;
use super::{AccessToken, SqlStore};
use async_trait::async_trait;

use super::prelude::*;
use super::sql::serializable;
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

/// Refresh tokens.
#[async_trait]
pub trait RefreshStore: Send + Sync {
    async fn insert_refresh_token(&self, t: &RefreshToken) -> Result<(), Error>;

    /// Claims the refresh token `token_hash` and stores its successors (`access`, and `next` when
    /// the grant keeps refreshing) in one transaction. The claim succeeds only for an unused,
    /// unrevoked token whose grant is not in the revocation log and whose user is active;
    /// otherwise nothing is written and the answer says why. So a revocation that lands at any
    /// moment of a rotation leaves no live successor.
    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        now: i64,
        access: &AccessToken,
        next: Option<&RefreshToken>,
    ) -> Result<RefreshClaim, Error>;

    async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, Error>;

    /// Revokes every refresh and access token of a family (a grant), and logs the grant for the
    /// resource servers, in one transaction.
    async fn revoke_family(&self, family_id: &str, now: i64) -> Result<(), Error>;
}

#[async_trait]
impl RefreshStore for SqlStore {
    async fn insert_refresh_token(&self, t: &RefreshToken) -> Result<(), Error> {
        insert_refresh(&self.pool, t).await
    }

    async fn rotate_refresh_token(
        &self,
        token_hash: &str,
        now: i64,
        access: &AccessToken,
        next: Option<&RefreshToken>,
    ) -> Result<RefreshClaim, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            let claimed: Option<RefreshToken> = sqlx::query_as(
                "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.kind = 'grant' AND r.value = refresh_tokens.family_id) \
                 AND EXISTS (SELECT 1 FROM users u WHERE u.id = refresh_tokens.user_id AND u.status = 'active') \
                 RETURNING *",
            )
            .bind(now)
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(claimed) = claimed else {
                tx.rollback().await?;
                return self.refresh_refusal(token_hash).await;
            };
            insert_access(&mut *tx, access).await?;
            if let Some(next) = next {
                insert_refresh(&mut *tx, next).await?;
            }
            tx.commit().await?;
            Ok(RefreshClaim::Claimed(claimed))
        })
    }

    async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, Error> {
        Ok(sqlx::query_as("SELECT * FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn revoke_family(&self, family_id: &str, now: i64) -> Result<(), Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            log_revocation(&mut tx, RevokedKind::Grant, family_id, now).await?;
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(family_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE access_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(family_id)
                .execute(&mut *tx)
                .await?;
            self.commit_revocation(tx).await
        })
    }
}

impl SqlStore {
    /// Why `token_hash` could not be claimed.
    async fn refresh_refusal(&self, token_hash: &str) -> Result<RefreshClaim, Error> {
        let Some(t) = self.find_refresh_token(token_hash).await? else {
            return Ok(RefreshClaim::Unknown);
        };
        if t.revoked_at.is_some() || self.grant_revoked(&t.family_id).await? {
            return Ok(RefreshClaim::Revoked);
        }
        if t.used_at.is_some() {
            return Ok(RefreshClaim::Reused(t));
        }
        // Unused and unrevoked, so its user is no longer active.
        Ok(RefreshClaim::Revoked)
    }
}

pub(super) async fn insert_refresh<'e>(db: impl sqlx::AnyExecutor<'e>, t: &RefreshToken) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, resource, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&t.token_hash)
    .bind(&t.family_id)
    .bind(&t.client_id)
    .bind(&t.user_id)
    .bind(&t.scope)
    .bind(&t.resource)
    .bind(t.issued_at)
    .bind(t.expires_at)
    .execute(db)
    .await?;
    Ok(())
}
