//! Refresh tokens, stored by hash, rotated on every use. Contract: [`RefreshStore::rotate_refresh_token`]
//! lets exactly one caller use a token, and only while its grant is live and its user active; a
//! second presentation is reported as reuse, and the caller must then revoke the family with
//! [`RefreshStore::revoke_family`] — unless it is a retry within the grace period, which
//! [`RefreshStore::retry_rotation`] answers by replacing the unused successor, so that a family
//! never has more than one live refresh token.

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
    /// Once rotated: the hash of the successor that replaced it (the latest, after retries).
    pub replaced_by: Option<String>,
}

#[derive(Debug)]
pub enum RefreshClaim {
    /// First use: now marked used; the caller may rotate.
    Claimed(RefreshToken),
    /// Already used: a replay, possibly by a thief.
    Reused(RefreshToken),
    /// Revoked before any replay (logout, grant revocation, or an earlier reuse).
    Revoked,
    /// A retry within the grace period lost to a concurrent retry of the same token, whose
    /// successor is live: refused, but no theft (the family stays).
    Superseded,
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

    /// A client presenting `token_hash` again after losing the response to its rotation: while
    /// the token was rotated after `rotated_since`, its grant is live, its user active, and its
    /// successor is still `superseded` and neither used nor revoked, revokes that successor and
    /// the access token issued beside it (the client never saw them) and stores `access` and
    /// `next` in their place, in one transaction. Otherwise writes nothing and says why:
    /// [`RefreshClaim::Reused`] (successor used or revoked, or too late: theft, the caller revokes
    /// the family), [`RefreshClaim::Superseded`] (a concurrent retry replaced `superseded`
    /// first), `Revoked` or `Unknown`.
    async fn retry_rotation(
        &self,
        token_hash: &str,
        superseded: &str,
        rotated_since: i64,
        now: i64,
        access: &AccessToken,
        next: &RefreshToken,
    ) -> Result<RefreshClaim, Error>;

    async fn find_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, Error>;

    /// Revokes every refresh and access token of a family (a grant), and logs the grant for the
    /// resource servers, in one transaction.
    async fn revoke_family(&self, family_id: &str, now: i64) -> Result<(), Error>;
}

#[async_trait]
impl RefreshStore for SqlStore {
    async fn insert_refresh_token(&self, t: &RefreshToken) -> Result<(), Error> {
        insert_refresh(&self.pool, t, None).await
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
            let claimed: Option<RefreshToken> = sqlx::query_as(&format!(
                "UPDATE refresh_tokens SET used_at = $1, replaced_by = $2 WHERE token_hash = $3 AND used_at IS NULL \
                 AND revoked_at IS NULL AND {LIVE_GRANT} RETURNING *"
            ))
            .bind(now)
            .bind(next.map(|n| n.token_hash.as_str()))
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(claimed) = claimed else {
                tx.rollback().await?;
                return self.refresh_refusal(token_hash).await;
            };
            insert_access(&mut *tx, access).await?;
            if let Some(next) = next {
                insert_refresh(&mut *tx, next, Some(&access.token_hash)).await?;
            }
            tx.commit().await?;
            Ok(RefreshClaim::Claimed(claimed))
        })
    }

    async fn retry_rotation(
        &self,
        token_hash: &str,
        superseded: &str,
        rotated_since: i64,
        now: i64,
        access: &AccessToken,
        next: &RefreshToken,
    ) -> Result<RefreshClaim, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            // The token, re-pointed at the new successor only if the old one is still its
            // successor and unspent: of concurrent retries, exactly one gets past this.
            let kept: Option<RefreshToken> = sqlx::query_as(&format!(
                "UPDATE refresh_tokens SET replaced_by = $1 WHERE token_hash = $2 AND replaced_by = $3 \
                 AND used_at > $4 AND revoked_at IS NULL AND {LIVE_GRANT} AND EXISTS (SELECT 1 FROM refresh_tokens s \
                 WHERE s.token_hash = $3 AND s.used_at IS NULL AND s.revoked_at IS NULL) RETURNING *"
            ))
            .bind(&next.token_hash)
            .bind(token_hash)
            .bind(superseded)
            .bind(rotated_since)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(kept) = kept else {
                let why = retry_refusal(&mut tx, token_hash, superseded, rotated_since).await;
                tx.rollback().await?;
                return why;
            };
            let (issued_with,): (Option<String>,) =
                sqlx::query_as("UPDATE refresh_tokens SET revoked_at = $1 WHERE token_hash = $2 RETURNING issued_with")
                    .bind(now)
                    .bind(superseded)
                    .fetch_one(&mut *tx)
                    .await?;
            if let Some(issued_with) = issued_with {
                let jti: Option<(Option<String>,)> = sqlx::query_as(
                    "UPDATE access_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING jti",
                )
                .bind(now)
                .bind(&issued_with)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((Some(jti),)) = jti {
                    log_revocation(&mut tx, RevokedKind::Token, &jti, now).await?;
                }
            }
            insert_access(&mut *tx, access).await?;
            insert_refresh(&mut *tx, next, Some(&access.token_hash)).await?;
            self.commit_revocation(tx).await?;
            Ok(RefreshClaim::Claimed(kept))
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

/// Why a retry of `token_hash` (superseding `superseded`) was refused, read inside the retry's
/// transaction: the token and its successor must be seen at one instant, or a concurrent retry
/// re-pointing the one and revoking the other would look like a dead successor, i.e. theft.
async fn retry_refusal(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    token_hash: &str,
    superseded: &str,
    rotated_since: i64,
) -> Result<RefreshClaim, Error> {
    use sqlx::{FromRow as _, Row as _};
    let row = sqlx::query(&format!(
        "SELECT refresh_tokens.*, CASE WHEN s.token_hash IS NOT NULL AND s.used_at IS NULL AND s.revoked_at IS NULL \
         THEN 1 ELSE 0 END AS successor_live, CASE WHEN {LIVE_GRANT} THEN 1 ELSE 0 END AS grant_live \
         FROM refresh_tokens LEFT JOIN refresh_tokens s ON s.token_hash = refresh_tokens.replaced_by \
         WHERE refresh_tokens.token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(RefreshClaim::Unknown);
    };
    let t = RefreshToken::from_row(&row)?;
    let (successor_live, grant_live) = (row.try_get::<i64, _>("successor_live")?, row.try_get::<i64, _>("grant_live")?);
    if t.revoked_at.is_some() || grant_live == 0 {
        // Revoked, or its user no longer active: nothing to steal, nothing to answer.
        return Ok(RefreshClaim::Revoked);
    }
    if successor_live == 0 || t.used_at.is_none_or(|used| used <= rotated_since) {
        return Ok(RefreshClaim::Reused(t));
    }
    // In time, with a live successor: only not `superseded` any more (a concurrent retry won).
    debug_assert_ne!(t.replaced_by.as_deref(), Some(superseded));
    Ok(RefreshClaim::Superseded)
}

/// The condition, on a `refresh_tokens` row, that its grant may still mint: not in the
/// revocation log, and its user active.
const LIVE_GRANT: &str = "NOT EXISTS (SELECT 1 FROM revocations r WHERE r.kind = 'grant' \
    AND r.value = refresh_tokens.family_id) \
    AND EXISTS (SELECT 1 FROM users u WHERE u.id = refresh_tokens.user_id AND u.status = 'active')";

/// Stores `t`; `issued_with` is the hash of the access token of the same response, if any.
pub(super) async fn insert_refresh<'e>(
    db: impl sqlx::AnyExecutor<'e>,
    t: &RefreshToken,
    issued_with: Option<&str>,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scope, resource, issued_at, expires_at, \
         issued_with) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&t.token_hash)
    .bind(&t.family_id)
    .bind(&t.client_id)
    .bind(&t.user_id)
    .bind(&t.scope)
    .bind(&t.resource)
    .bind(t.issued_at)
    .bind(t.expires_at)
    .bind(issued_with)
    .execute(db)
    .await?;
    Ok(())
}
