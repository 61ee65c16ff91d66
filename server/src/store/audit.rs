//! The audit log: one row per security-relevant event, mirrored to `tracing`. Callers pass ids
//! and short descriptions only, never a token, code or password.
//!
//! Growth is bounded: every field is cut to [`MAX_FIELD_CHARS`] (with a hash of the whole, so
//! different long values stay apart), events that anyone can trigger without signing in
//! ([`AuditEvent::coalesces`]) share one row per key and window, with a count, and rows older than
//! the retention are purged ([`AuditStore::purge_audit`]).

use std::borrow::Cow;

use super::{Backend, SqlStore};
use async_trait::async_trait;

use super::sql::serializable;
use crate::error::Error;

/// Longest audit field, in characters, stored or logged as given.
pub const MAX_FIELD_CHARS: usize = 200;
/// Repeats of a coalescing event with the same user, client and detail within this many seconds
/// of its row's first occurrence only raise that row's `count`.
pub const COALESCE_WINDOW_SECS: i64 = 600;
/// Rows one coalescing event may add per window; further distinct keys share one overflow row.
pub const MAX_ROWS_PER_WINDOW: i64 = 100;
/// The `detail` of the overflow row.
pub const OVERFLOW_DETAIL: &str = "more events of this kind in this window (details not kept)";

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditEvent {
    ClientRegistered,
    LoginFailed,
    AuthorizationGranted,
    AuthorizationDenied,
    TokenIssued,
    /// A refresh token was exchanged (and rotated) for new tokens.
    TokenRefreshed,
    CodeReplayed,
    RefreshReused,
    /// A just-rotated refresh token was presented again within the grace period, while its
    /// successor was unused: the successor pair was replaced by a new one.
    RefreshRetried,
    TokenRevoked,
    /// A Client ID Metadata Document URL or document was refused (fetch failed or invalid).
    ClientMetadataRefused,
    /// `server keys revoke` withdrew a signing key.
    SigningKeyRevoked,
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientRegistered => "client_registered",
            Self::LoginFailed => "login_failed",
            Self::AuthorizationGranted => "authorization_granted",
            Self::AuthorizationDenied => "authorization_denied",
            Self::TokenIssued => "token_issued",
            Self::TokenRefreshed => "token_refreshed",
            Self::CodeReplayed => "code_replayed",
            Self::RefreshReused => "refresh_token_reused",
            Self::RefreshRetried => "refresh_token_retried",
            Self::TokenRevoked => "token_revoked",
            Self::ClientMetadataRefused => "client_metadata_refused",
            Self::SigningKeyRevoked => "signing_key_revoked",
        }
    }

    /// Events any caller can trigger at will, without an account or a registration: repeats are
    /// counted on one row instead of each adding one.
    pub fn coalesces(self) -> bool {
        matches!(self, Self::ClientMetadataRefused)
    }
}

#[derive(Clone, Debug)]
pub struct AuditRow {
    pub id: i64,
    /// The first occurrence.
    pub at: i64,
    pub event: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub detail: Option<String>,
    /// How many occurrences this row stands for (1 unless coalesced).
    pub count: i64,
    /// The latest occurrence, when there were several.
    pub last_at: Option<i64>,
}

/// `value`, or its first [`MAX_FIELD_CHARS`] characters followed by its length and the start of
/// its SHA-256, so that a long value costs a bounded amount to store or log.
pub fn clip(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(MAX_FIELD_CHARS) {
        None => Cow::Borrowed(value),
        Some((cut, _)) => {
            let hash = crate::oauth::secrets::hash(value);
            Cow::Owned(format!("{}… [{} bytes, sha256 {}]", &value[..cut], value.len(), &hash[..16]))
        }
    }
}

type Tx<'t> = sqlx::Transaction<'t, sqlx::Any>;

/// The audit log: what happened, to whom, by which client, coalesced when repeated.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records an event now. Failure to write is logged, not raised: the request it describes
    /// has already happened and must not fail because of the log.
    async fn audit(&self, event: AuditEvent, user_id: Option<&str>, client_id: Option<&str>, detail: &str);

    /// [`AuditStore::audit`] at an explicit time.
    async fn audit_at(&self, event: AuditEvent, user_id: Option<&str>, client_id: Option<&str>, detail: &str, now: i64);

    /// The newest events first.
    async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditRow>, Error>;

    /// Deletes the events whose latest occurrence is more than `retention_secs` before `now`;
    /// returns how many rows went.
    async fn purge_audit(&self, now: i64, retention_secs: i64) -> Result<u64, Error>;
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn audit(&self, event: AuditEvent, user_id: Option<&str>, client_id: Option<&str>, detail: &str) {
        self.audit_at(event, user_id, client_id, detail, super::now()).await;
    }

    async fn audit_at(
        &self,
        event: AuditEvent,
        user_id: Option<&str>,
        client_id: Option<&str>,
        detail: &str,
        now: i64,
    ) {
        let user_id = user_id.map(clip);
        let client_id = client_id.map(clip);
        let detail = clip(detail);
        let (user_id, client_id) = (user_id.as_deref(), client_id.as_deref());
        tracing::info!(target: "audit", event = event.as_str(), user_id, client_id, detail = %detail);
        let key = Key { event, user_id, client_id, detail: &detail };
        let res = if event.coalesces() { self.record_coalesced(&key, now).await } else { self.record(&key, now).await };
        if let Err(e) = res {
            tracing::error!(error = %e, event = event.as_str(), "could not write audit event");
        }
    }

    async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditRow>, Error> {
        Ok(sqlx::query_as("SELECT * FROM audit_events ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn purge_audit(&self, now: i64, retention_secs: i64) -> Result<u64, Error> {
        let cutoff = now.saturating_sub(retention_secs);
        let done = sqlx::query("DELETE FROM audit_events WHERE at < $1 AND COALESCE(last_at, at) < $2")
            .bind(cutoff)
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

impl SqlStore {
    async fn record(&self, key: &Key<'_>, now: i64) -> Result<(), Error> {
        insert(&self.pool, key, now).await
    }

    /// One transaction whose first statement writes, so concurrent repeats are serialised and
    /// exactly one row per key and window results.
    async fn record_coalesced(&self, key: &Key<'_>, now: i64) -> Result<(), Error> {
        serializable!(self, {
            let since = now - COALESCE_WINDOW_SECS;
            let mut tx = self.begin_write().await?;
            if !bump(self.backend, &mut tx, key, since, now).await? {
                let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE event = $1 AND at >= $2")
                    .bind(key.event.as_str())
                    .bind(since)
                    .fetch_one(&mut *tx)
                    .await?;
                if rows < MAX_ROWS_PER_WINDOW {
                    insert(&mut *tx, key, now).await?;
                } else {
                    let overflow = Key { event: key.event, user_id: None, client_id: None, detail: OVERFLOW_DETAIL };
                    if !bump(self.backend, &mut tx, &overflow, since, now).await? {
                        insert(&mut *tx, &overflow, now).await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// What makes two events the same for coalescing (fields already clipped).
struct Key<'a> {
    event: AuditEvent,
    user_id: Option<&'a str>,
    client_id: Option<&'a str>,
    detail: &'a str,
}

async fn insert<'e>(db: impl sqlx::AnyExecutor<'e>, key: &Key<'_>, now: i64) -> Result<(), Error> {
    sqlx::query("INSERT INTO audit_events (at, event, user_id, client_id, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(now)
        .bind(key.event.as_str())
        .bind(key.user_id)
        .bind(key.client_id)
        .bind(key.detail)
        .execute(db)
        .await?;
    Ok(())
}

/// Counts one more occurrence on the row of `key` opened since `since`; false when there is none.
async fn bump(backend: Backend, tx: &mut Tx<'_>, key: &Key<'_>, since: i64, now: i64) -> Result<bool, Error> {
    let same = backend.null_safe_eq();
    let sql = format!(
        "UPDATE audit_events SET count = count + 1, last_at = $1 WHERE id = (SELECT id FROM audit_events \
         WHERE event = $2 AND at >= $3 AND user_id {same} $4 AND client_id {same} $5 AND detail {same} $6 \
         ORDER BY id DESC LIMIT 1)"
    );
    let done = sqlx::query(&sql)
        .bind(now)
        .bind(key.event.as_str())
        .bind(since)
        .bind(key.user_id)
        .bind(key.client_id)
        .bind(key.detail)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_clipped_with_a_hash_of_the_whole() {
        assert_eq!(clip("short"), "short");
        let exact = "é".repeat(MAX_FIELD_CHARS);
        assert_eq!(clip(&exact), exact.as_str());
        let long = format!("https://x.example/{}", "a".repeat(60 * 1024));
        let clipped = clip(&long);
        assert!(clipped.len() < MAX_FIELD_CHARS + 64, "{}", clipped.len());
        assert!(clipped.starts_with("https://x.example/aaa"));
        assert!(clipped.contains(&format!("{} bytes", long.len())));
        let other = format!("{long}b");
        assert_ne!(clip(&other), clipped, "different long values stay distinguishable");
        // Multi-byte characters are never split.
        assert!(clip(&"ü".repeat(500)).starts_with(&"ü".repeat(MAX_FIELD_CHARS)));
    }
}
