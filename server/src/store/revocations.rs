//! The revocation log: what resource servers must refuse without asking the database per request.
//!
//! Contract:
//! - every revocation (of a grant, a refresh family or one access token) writes its rows here in
//!   the same transaction that marks the tokens, so a reader never sees the one without the other;
//! - a grant named here mints nothing more: [`RefreshStore::rotate_refresh_token`] checks it in the same
//!   statement that claims the token, so a revocation racing a refresh leaves no live token;
//! - rows are only appended (ids increase), so a follower reads what is new with `id > last`;
//! - after each commit [`RevocationStore::revocation_signal`] wakes the followers in this process at once.

use sqlx::{Any, Transaction};

use super::SqlStore;
use async_trait::async_trait;

use super::sql::serializable;
use crate::error::Error;

/// What a revocation names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokedKind {
    /// A grant id: the `gid` claim of every access token of one authorization and its refreshes.
    Grant,
    /// One access token's `jti`.
    Token,
}

impl RevokedKind {
    /// Its name in the log and on the feed.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Token => "token",
        }
    }

    /// The kind named `name`; anything but `token` is a grant (the log's CHECK allows no other).
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        if name == Self::Token.as_str() {
            Self::Token
        } else {
            Self::Grant
        }
    }
}

/// One row of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    pub id: i64,
    pub kind: RevokedKind,
    pub value: String,
    pub revoked_at: i64,
}

/// The revocation log.
#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Wakes whoever follows the log in this process after every revocation.
    #[must_use]
    fn revocation_signal(&self) -> std::sync::Arc<tokio::sync::Notify>;

    /// Rows with `id > after`, oldest first, at most `limit`.
    async fn revocations_after(&self, after: i64, limit: i64) -> Result<Vec<Revocation>, Error>;

    /// The id of the newest row revoked before `since`, so a follower starting now can skip
    /// everything older (those tokens have expired).
    async fn last_revocation_before(&self, since: i64) -> Result<i64, Error>;

    /// True when the grant has been revoked.
    async fn grant_revoked(&self, grant_id: &str) -> Result<bool, Error>;

    /// Forgets rows revoked before `before`, once no token they name can be valid. Refresh
    /// tokens of those grants that a racing rotation stored after the revocation are revoked
    /// first, so forgetting the row never brings one back.
    async fn purge_revocations(&self, before: i64, now: i64) -> Result<(), Error>;
}

#[async_trait]
impl RevocationStore for SqlStore {
    fn revocation_signal(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.revoked.clone()
    }

    async fn revocations_after(&self, after: i64, limit: i64) -> Result<Vec<Revocation>, Error> {
        let rows: Vec<(i64, String, String, i64)> =
            sqlx::query_as("SELECT id, kind, value, revoked_at FROM revocations WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, value, revoked_at)| Revocation {
                id,
                kind: RevokedKind::from_name(&kind),
                value,
                revoked_at,
            })
            .collect())
    }

    async fn last_revocation_before(&self, since: i64) -> Result<i64, Error> {
        let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM revocations WHERE revoked_at < $1")
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }

    async fn grant_revoked(&self, grant_id: &str) -> Result<bool, Error> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM revocations WHERE kind = 'grant' AND value = $1 LIMIT 1")
                .bind(grant_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    async fn purge_revocations(&self, before: i64, now: i64) -> Result<(), Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family_id IN \
                 (SELECT value FROM revocations WHERE kind = 'grant' AND revoked_at < $2)",
            )
            .bind(now)
            .bind(before)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM revocations WHERE revoked_at < $1").bind(before).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}

impl SqlStore {
    /// Commits `tx` and wakes the followers.
    pub(super) async fn commit_revocation(&self, tx: Transaction<'_, Any>) -> Result<(), Error> {
        tx.commit().await?;
        self.revoked.notify_waiters();
        Ok(())
    }
}

/// Appends one row inside the caller's transaction.
pub(super) async fn log_revocation(
    tx: &mut Transaction<'_, Any>,
    kind: RevokedKind,
    value: &str,
    now: i64,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO revocations (kind, value, revoked_at) VALUES ($1, $2, $3)")
        .bind(kind.as_str())
        .bind(value)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Appends a grant row for every distinct family the `SELECT family_id …` query names (its
/// placeholders `$1…$n` bound to `binds`), inside the caller's transaction.
pub(super) async fn log_families(
    tx: &mut Transaction<'_, Any>,
    select_families: &str,
    binds: &[&str],
    now: i64,
) -> Result<(), Error> {
    let now_param = binds.len() + 1;
    let sql = format!(
        "INSERT INTO revocations (kind, value, revoked_at) SELECT DISTINCT 'grant', family_id, ${now_param} \
         FROM ({select_families}) AS f WHERE family_id IS NOT NULL"
    );
    let mut query = sqlx::query(&sql);
    for b in binds {
        query = query.bind(*b);
    }
    let query = query.bind(now);
    query.execute(&mut **tx).await?;
    Ok(())
}
