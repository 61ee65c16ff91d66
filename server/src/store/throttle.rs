//! Sign-in throttling state, keyed by a normalised username (`user:…`) or a client address
//! (`addr:…`).

use super::Store;

/// A key whose last failure is older than this starts counting afresh.
pub(super) const FORGET_AFTER_SECS: i64 = 3600;
use crate::error::Error;

impl Store {
    /// Seconds until `key` may try again (0 when it may now).
    pub async fn throttle_wait(&self, key: &str, now: i64) -> Result<i64, Error> {
        let until: Option<i64> = sqlx::query_scalar("SELECT locked_until FROM login_throttle WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(until.map_or(0, |u| (u - now).max(0)))
    }

    /// Counts a failure; once `free` failures have accrued, each further one locks the key for
    /// `base * 2^(n - free)` seconds, capped at `cap`. Failures are forgotten after an hour
    /// without one. Returns the failure count.
    pub async fn throttle_fail(&self, key: &str, now: i64, free: i64, base: i64, cap: i64) -> Result<i64, Error> {
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_throttle (key, failures, locked_until, updated_at) VALUES (?, 1, 0, ?) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN updated_at < ? THEN 1 ELSE failures + 1 END, \
               locked_until = CASE WHEN updated_at < ? THEN 0 ELSE locked_until END, \
               updated_at = excluded.updated_at \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(now - FORGET_AFTER_SECS)
        .bind(now - FORGET_AFTER_SECS)
        .fetch_one(&self.pool)
        .await?;
        if failures >= free {
            let exponent = u32::try_from(failures - free).unwrap_or(u32::MAX).min(20);
            let wait = base.saturating_mul(1_i64 << exponent).min(cap);
            sqlx::query("UPDATE login_throttle SET locked_until = ? WHERE key = ?")
                .bind(now + wait)
                .bind(key)
                .execute(&self.pool)
                .await?;
        }
        Ok(failures)
    }

    pub async fn throttle_reset(&self, key: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM login_throttle WHERE key = ?").bind(key).execute(&self.pool).await?;
        Ok(())
    }
}
