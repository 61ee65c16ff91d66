//! The resource server's memory of revoked grants and tokens, so that `/mcp` refuses a revoked
//! JWT without a database or network round trip per request.
//!
//! [`follow`] fills it from the store's revocation log: at once when a revocation commits in
//! this process (the store's signal), and by polling every [`POLL_INTERVAL`] for revocations
//! made by other processes on the same database (`server` CLI runs, other replicas). A resource
//! server deployed apart from its AS reads the AS's feed instead (`--revocation-feed-url`),
//! every `--revocation-poll-secs`. An entry is
//! kept until no token it names can still be valid (revoked at + access-token lifetime + clock
//! leeway + a margin for tokens a racing issuance signed just after), then dropped.
//!
//! Log ids are assigned when a row is written, not when it commits, so on PostgreSQL a row can
//! become visible after rows with higher ids. Each read therefore starts from the highest id seen
//! [`SETTLE`] ago, not the highest seen: rows are read again for a while (applying one twice
//! changes nothing), and one committed late is still found.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::store::{now, Revocation, RevokedKind, SharedStore};

/// How often the log is read for revocations made by other processes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Rows read per query; a longer backlog is read in several.
const BATCH: i64 = 1000;
/// Kept past the token lifetime for tokens signed just after their grant was revoked.
const MARGIN_SECS: i64 = 60;
/// Longer than any revocation transaction takes to commit: ids seen this long ago have no
/// uncommitted rows below them any more.
pub const SETTLE: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
pub struct Denylist {
    /// Revoked grant ids and token ids → until when to remember them.
    grants: RwLock<HashMap<String, i64>>,
    tokens: RwLock<HashMap<String, i64>>,
    last_id: AtomicI64,
    /// Where the next read starts: the highest id seen [`SETTLE`] ago, and the later highs.
    cursor: Mutex<Cursor>,
    /// Bumped whenever revocations arrive, so caches of earlier answers know to forget them.
    generation: AtomicU64,
}

#[derive(Debug, Default)]
struct Cursor {
    settled: i64,
    recent: VecDeque<(Instant, i64)>,
}

impl Cursor {
    /// The id to read after at `now`: every high seen before `now - SETTLE` counts as settled.
    fn start(&mut self, now: Instant) -> i64 {
        while let Some(&(at, id)) = self.recent.front() {
            if now.saturating_duration_since(at) < SETTLE {
                break;
            }
            self.settled = self.settled.max(id);
            self.recent.pop_front();
        }
        self.settled
    }
}

impl Denylist {
    /// Whether a token with this grant id and `jti` has been revoked.
    pub fn is_revoked(&self, grant_id: Option<&str>, jti: &str) -> bool {
        let read = |map: &RwLock<HashMap<String, i64>>, key: &str| {
            map.read().unwrap_or_else(std::sync::PoisonError::into_inner).contains_key(key)
        };
        grant_id.is_some_and(|g| read(&self.grants, g)) || read(&self.tokens, jti)
    }

    /// Changes whenever a revocation arrives.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Remembers `rows` for `keep_secs` after each was revoked.
    /// Rows already remembered change nothing (they are read again while they settle).
    fn apply(&self, rows: &[Revocation], keep_secs: i64) {
        let mut added = false;
        for r in rows {
            let map = match r.kind {
                RevokedKind::Grant => &self.grants,
                RevokedKind::Token => &self.tokens,
            };
            added |= map
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(r.value.clone(), r.revoked_at + keep_secs)
                .is_none();
            self.last_id.fetch_max(r.id, Ordering::Relaxed);
        }
        if added {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Forgets entries whose tokens have all expired.
    fn prune(&self, now: i64) {
        for map in [&self.grants, &self.tokens] {
            map.write().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|_, until| *until > now);
        }
    }

    /// Reads every row newer than the settled cursor.
    async fn catch_up(&self, source: &Source, keep_secs: i64) -> Result<(), String> {
        let started = Instant::now();
        let mut after = self.cursor().start(started);
        loop {
            let rows = source.after(after).await?;
            self.apply(&rows, keep_secs);
            match rows.last() {
                Some(last) if i64::try_from(rows.len()).unwrap_or(i64::MAX) >= BATCH => after = last.id,
                _ => break,
            }
        }
        self.cursor().recent.push_back((started, self.last_id.load(Ordering::Relaxed)));
        Ok(())
    }

    fn cursor(&self) -> std::sync::MutexGuard<'_, Cursor> {
        self.cursor.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Loads what a token still valid now could be named by, before the server answers anything.
    /// (From a feed, whatever the AS still keeps; a feed out of reach is retried by [`follow`].)
    pub async fn load(&self, source: &Source, keep_secs: i64) -> Result<(), crate::error::Error> {
        if let Source::Store(store) = source {
            let start = store.last_revocation_before(now() - keep_secs).await?;
            self.last_id.fetch_max(start, Ordering::Relaxed);
            let mut cursor = self.cursor();
            cursor.settled = cursor.settled.max(start);
        }
        if let Err(e) = self.catch_up(source, keep_secs).await {
            tracing::warn!(error = %e, "reading the revocation log failed; retrying");
        }
        Ok(())
    }
}

/// Where revocations come from.
pub enum Source {
    /// The revocation log in the database this process shares with its AS.
    Store(SharedStore),
    /// The AS's feed, for a resource server with a database of its own.
    Feed { http: reqwest::Client, url: String, authorization: String, every: Duration },
}

impl Source {
    /// The feed when one is configured, else the store.
    #[must_use]
    pub fn from_settings(settings: &crate::config::Settings, store: &SharedStore) -> Self {
        match &settings.revocation_feed_url {
            None => Self::Store(store.clone()),
            Some(url) => Self::Feed {
                http: super::verifier::back_channel_client(),
                url: url.clone(),
                authorization: crate::http::introspect::basic_credentials(&settings.introspection_secret),
                every: Duration::from_secs(settings.revocation_poll_secs),
            },
        }
    }

    async fn after(&self, after: i64) -> Result<Vec<Revocation>, String> {
        match self {
            Self::Store(store) => store.revocations_after(after, BATCH).await.map_err(|e| e.to_string()),
            Self::Feed { http, url, authorization, .. } => {
                let feed: shared::oauth::RevocationFeed = async {
                    let resp = http
                        .get(url)
                        .query(&[("after", after)])
                        .header(reqwest::header::AUTHORIZATION, authorization)
                        .send()
                        .await?;
                    resp.error_for_status()?.json().await
                }
                .await
                .map_err(|e: reqwest::Error| e.to_string())?;
                Ok(feed
                    .revocations
                    .into_iter()
                    .map(|e| Revocation {
                        id: e.id,
                        kind: RevokedKind::from_name(&e.kind),
                        value: e.value,
                        revoked_at: e.revoked_at,
                    })
                    .collect())
            }
        }
    }

    fn interval(&self) -> Duration {
        match self {
            Self::Store(_) => POLL_INTERVAL,
            Self::Feed { every, .. } => *every,
        }
    }
}

/// Keeps `list` current until `shutdown`; `keep_secs` is how long an entry must be remembered.
/// `signal` wakes it at once after a revocation in this process.
pub async fn follow(
    list: std::sync::Arc<Denylist>,
    source: Source,
    signal: std::sync::Arc<tokio::sync::Notify>,
    keep_secs: i64,
    shutdown: CancellationToken,
) {
    let mut last_prune = now();
    loop {
        // Registered before reading, so a revocation committed during the read is not missed.
        let woken = signal.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if let Err(e) = list.catch_up(&source, keep_secs).await {
            tracing::warn!(error = %e, "reading the revocation log failed");
        }
        if now() - last_prune >= 60 {
            list.prune(now());
            last_prune = now();
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = &mut woken => {}
            () = tokio::time::sleep(source.interval()) => {}
        }
    }
}

/// How long a revocation must be remembered: as long as a token it names can be accepted.
#[must_use]
pub fn keep_secs(settings: &crate::config::Settings) -> i64 {
    settings.access_token_ttl.saturating_add(settings.jwt_leeway_secs).saturating_add(MARGIN_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, kind: RevokedKind, value: &str, at: i64) -> Revocation {
        Revocation { id, kind, value: value.into(), revoked_at: at }
    }

    #[test]
    fn matches_grants_and_tokens_and_forgets_them_after_their_tokens_expired() {
        let list = Denylist::default();
        list.apply(&[row(1, RevokedKind::Grant, "g1", 100), row(2, RevokedKind::Token, "j1", 100)], 50);
        assert!(list.is_revoked(Some("g1"), "other"));
        assert!(list.is_revoked(None, "j1"));
        assert!(list.is_revoked(Some("g2"), "j1"));
        assert!(!list.is_revoked(Some("g2"), "j2"));
        assert!(!list.is_revoked(None, "g1"), "a grant id is not a token id");
        assert_eq!(list.last_id.load(Ordering::Relaxed), 2);
        list.prune(149);
        assert!(list.is_revoked(Some("g1"), "x"));
        list.prune(150);
        assert!(!list.is_revoked(Some("g1"), "x"));
        assert!(!list.is_revoked(None, "j1"));
    }

    #[test]
    fn reading_again_changes_nothing_and_the_cursor_settles_only_after_a_while() {
        let list = Denylist::default();
        list.apply(&[row(3, RevokedKind::Grant, "g", 100)], 50);
        let generation = list.generation();
        list.apply(&[row(3, RevokedKind::Grant, "g", 100)], 50);
        assert_eq!(list.generation(), generation, "a row read again is not news");
        let t0 = Instant::now();
        let mut cursor = Cursor::default();
        cursor.recent.push_back((t0, 7));
        assert_eq!(cursor.start(t0 + SETTLE / 2), 0, "id 7 may still have uncommitted rows below it");
        cursor.recent.push_back((t0 + SETTLE / 2, 9));
        assert_eq!(cursor.start(t0 + SETTLE), 7);
        assert_eq!(cursor.start(t0 + SETTLE * 2), 9);
    }
}
