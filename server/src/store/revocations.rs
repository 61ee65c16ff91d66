//! The revocation log: what resource servers must refuse without asking the database per request.
//!
//! Contract:
//! - every revocation (of a grant, a refresh family or one access token) writes its rows here in
//!   the same transaction that marks the tokens, so a reader never sees the one without the other;
//! - a grant named here mints nothing more: [`Store::rotate_refresh_token`] checks it in the same
//!   statement that claims the token, so a revocation racing a refresh leaves no live token;
//! - rows are only appended (ids increase), so a follower reads what is new with `id > last`;
//! - after each commit [`Store::revocation_signal`] wakes the followers in this process at once.

use sqlx::{Sqlite, Transaction};

use super::Store;
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

impl Store {
    /// Wakes whoever follows the log in this process after every revocation.
    #[must_use]
    pub fn revocation_signal(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.revoked.clone()
    }

    /// Rows with `id > after`, oldest first, at most `limit`.
    pub async fn revocations_after(&self, after: i64, limit: i64) -> Result<Vec<Revocation>, Error> {
        let rows: Vec<(i64, String, String, i64)> =
            sqlx::query_as("SELECT id, kind, value, revoked_at FROM revocations WHERE id > ? ORDER BY id LIMIT ?")
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

    /// The id of the newest row revoked before `since`, so a follower starting now can skip
    /// everything older (those tokens have expired).
    pub async fn last_revocation_before(&self, since: i64) -> Result<i64, Error> {
        let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM revocations WHERE revoked_at < ?")
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }

    /// True when the grant has been revoked.
    pub async fn grant_revoked(&self, grant_id: &str) -> Result<bool, Error> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM revocations WHERE kind = 'grant' AND value = ? LIMIT 1")
                .bind(grant_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// Forgets rows revoked before `before`, once no token they name can be valid. Refresh
    /// tokens of those grants that a racing rotation stored after the revocation are revoked
    /// first, so forgetting the row never brings one back.
    pub async fn purge_revocations(&self, before: i64, now: i64) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND family_id IN \
             (SELECT value FROM revocations WHERE kind = 'grant' AND revoked_at < ?)",
        )
        .bind(now)
        .bind(before)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM revocations WHERE revoked_at < ?").bind(before).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Commits `tx` and wakes the followers.
    pub(super) async fn commit_revocation(&self, tx: Transaction<'_, Sqlite>) -> Result<(), Error> {
        tx.commit().await?;
        self.revoked.notify_waiters();
        Ok(())
    }
}

/// Appends one row inside the caller's transaction.
pub(super) async fn log_revocation(
    tx: &mut Transaction<'_, Sqlite>,
    kind: RevokedKind,
    value: &str,
    now: i64,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO revocations (kind, value, revoked_at) VALUES (?, ?, ?)")
        .bind(kind.as_str())
        .bind(value)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Appends a grant row for every distinct family the `SELECT family_id …` query names
/// (bound with `binds`), inside the caller's transaction.
pub(super) async fn log_families(
    tx: &mut Transaction<'_, Sqlite>,
    select_families: &str,
    binds: &[&str],
    now: i64,
) -> Result<(), Error> {
    let sql = format!(
        "INSERT INTO revocations (kind, value, revoked_at) SELECT DISTINCT 'grant', family_id, ? FROM ({select_families}) \
         WHERE family_id IS NOT NULL"
    );
    let mut query = sqlx::query(&sql).bind(now);
    for b in binds {
        query = query.bind(*b);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
