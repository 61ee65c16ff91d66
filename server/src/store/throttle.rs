//! Sign-in throttling state, keyed by a normalised username (`user:…`) or a client address
//! (`addr:…`). An attempt is reserved before the password is checked, in one statement that both
//! counts it and decides, so simultaneous guesses cannot all slip through a check made earlier.

use super::SqlStore;
use async_trait::async_trait;

use crate::error::Error;

/// A key whose last counted attempt is older than this starts counting afresh (and its row may
/// then be purged).
pub(super) const FORGET_AFTER_SECS: i64 = 3600;

/// How the lock-out grows: `free` attempts count without one, then each further attempt locks
/// the key for `base * 2^(n - free)` seconds, at most `cap`.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub free: i64,
    pub base: i64,
    pub cap: i64,
}

/// The answer to [`ThrottleStore::throttle_reserve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may be evaluated; it is the `n`-th counted since the last success.
    Allowed(i64),
    /// Locked out for this many more seconds; nothing was counted.
    Locked(i64),
}

/// Sign-in throttling.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Counts one request for `key` in a fixed window of `window` seconds and returns the count
    /// so far in the current window (1 for the first), in one statement, so concurrent requests
    /// on any number of replicas are each counted once. Returns when the window started too.
    async fn count_request(&self, key: &str, now: i64, window: i64) -> Result<(i64, i64), Error>;

    /// Counts an attempt for `key` and says whether it may be evaluated, atomically: while the key
    /// is locked nothing changes and the answer is `Locked`; otherwise the attempt is counted and
    /// the `n`-th attempt (`n >= free`) locks the key for the attempts after it. A successful
    /// sign-in then calls [`ThrottleStore::throttle_reset`] (or [`ThrottleStore::throttle_refund`]).
    async fn throttle_reserve(&self, key: &str, now: i64, p: ThrottlePolicy) -> Result<Reservation, Error>;

    /// Seconds until `key` may try again (0 when it may now). For messages and tests only: the
    /// decision is [`ThrottleStore::throttle_reserve`]'s.
    async fn throttle_wait(&self, key: &str, now: i64) -> Result<i64, Error>;

    /// Takes back one reserved attempt that turned out not to be a failure (a successful sign-in
    /// counted against its address, or an attempt refused by another key's lock-out); the lock
    /// it may have started goes with it when the count falls below `free` again.
    async fn throttle_refund(&self, key: &str, free: i64) -> Result<(), Error>;

    async fn throttle_reset(&self, key: &str) -> Result<(), Error>;
}

#[async_trait]
impl ThrottleStore for SqlStore {
    async fn count_request(&self, key: &str, now: i64, window: i64) -> Result<(i64, i64), Error> {
        Ok(sqlx::query_as(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
               window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
             RETURNING hits, window_start",
        )
        .bind(key)
        .bind(now)
        .bind(now - window)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn throttle_reserve(&self, key: &str, now: i64, p: ThrottlePolicy) -> Result<Reservation, Error> {
        // ?1 key, ?2 now, ?3 forget-before, ?4 free, ?5 base, ?6 cap. `n` is the attempt's number;
        // an upsert whose WHERE fails changes nothing and returns no row.
        let n = "(CASE WHEN login_throttle.updated_at < $3 THEN 1 ELSE login_throttle.failures + 1 END)";
        let (least, greatest) = (self.backend.least(), self.backend.greatest());
        let lock = |n: &str| {
            format!(
                "(CASE WHEN {n} >= $4 THEN $2 + {least}($6, $5 << CAST({least}({greatest}({n} - $4, 0), 20) AS INTEGER)) \
                 ELSE 0 END)"
            )
        };
        let sql = format!(
            "INSERT INTO login_throttle (key, failures, locked_until, updated_at) VALUES ($1, 1, {first}, $2) \
             ON CONFLICT (key) DO UPDATE SET failures = {n}, locked_until = {next}, updated_at = $2 \
             WHERE login_throttle.locked_until <= $2 \
             RETURNING failures",
            first = lock("1"),
            next = lock(n),
        );
        let counted: Option<i64> = sqlx::query_scalar(&sql)
            .bind(key)
            .bind(now)
            .bind(now - FORGET_AFTER_SECS)
            .bind(p.free)
            .bind(p.base)
            .bind(p.cap)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(n) = counted {
            return Ok(Reservation::Allowed(n));
        }
        Ok(Reservation::Locked(self.throttle_wait(key, now).await?.max(1)))
    }

    async fn throttle_wait(&self, key: &str, now: i64) -> Result<i64, Error> {
        let until: Option<i64> = sqlx::query_scalar("SELECT locked_until FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(until.map_or(0, |u| (u - now).max(0)))
    }

    async fn throttle_refund(&self, key: &str, free: i64) -> Result<(), Error> {
        sqlx::query(
            "UPDATE login_throttle SET failures = failures - 1, \
               locked_until = CASE WHEN failures - 1 < $1 THEN 0 ELSE locked_until END \
             WHERE key = $2 AND failures > 0",
        )
        .bind(free)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn throttle_reset(&self, key: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(&self.pool).await?;
        Ok(())
    }
}
