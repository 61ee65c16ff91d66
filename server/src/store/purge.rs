//! Deleting rows that no request can need any more, so that the database does not grow with
//! time: expired tokens, stale sign-in throttle state (the audit log has its own retention, see
//! [`Store::purge_audit`]). Called by [`Store::purge_expired`].

use super::throttle::FORGET_AFTER_SECS;
use super::Store;
use crate::error::Error;

/// Expired tokens and codes are kept this long after expiry, so that a late replay is still
/// recognised as one (and revokes what it should) rather than looking unknown.
pub const KEEP_EXPIRED_SECS: i64 = 3600;

/// How many rows [`Store::purge_stale`] deleted, per table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub access_tokens: u64,
    pub refresh_tokens: u64,
    pub throttle: u64,
}

impl Store {
    /// Deletes access tokens expired for over [`KEEP_EXPIRED_SECS`] whose code is gone too (a
    /// replayed code finds its tokens through them), refresh tokens expired for as long, and
    /// sign-in throttle rows that have been forgotten (no failure for an hour, no lock-out).
    pub(super) async fn purge_stale(&self, now: i64) -> Result<Purged, Error> {
        let expired = now - KEEP_EXPIRED_SECS;
        let mut tx = self.pool.begin().await?;
        // The unused-client expiry asks whether a client ever obtained a token; remember it
        // before the evidence goes.
        sqlx::query(
            "UPDATE clients SET obtained_token = 1 WHERE obtained_token = 0 \
             AND client_id IN (SELECT client_id FROM access_tokens)",
        )
        .execute(&mut *tx)
        .await?;
        let access_tokens = sqlx::query(
            "DELETE FROM access_tokens WHERE expires_at < ? AND (code_hash IS NULL OR NOT EXISTS \
             (SELECT 1 FROM auth_codes c WHERE c.code_hash = access_tokens.code_hash))",
        )
        .bind(expired)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let refresh_tokens = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < ?")
            .bind(expired)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let throttle = sqlx::query("DELETE FROM login_throttle WHERE updated_at < ? AND locked_until <= ?")
            .bind(now - FORGET_AFTER_SECS)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Purged { access_tokens, refresh_tokens, throttle })
    }
}
