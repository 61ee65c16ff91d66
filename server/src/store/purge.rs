//! Deleting rows that no request can need any more, so that the database does not grow with
//! time: expired tokens, stale sign-in throttle state (the audit log has its own retention, see
//! [`super::AuditStore::purge_audit`]).

use super::throttle::FORGET_AFTER_SECS;
use super::SqlStore;
use async_trait::async_trait;

use super::sql::serializable;
use crate::error::Error;

/// Expired tokens and codes are kept this long after expiry, so that a late replay is still
/// recognised as one (and revokes what it should) rather than looking unknown.
pub const KEEP_EXPIRED_SECS: i64 = 3600;

/// How many rows [`PurgeStore::purge_expired`] deleted, per table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub access_tokens: u64,
    pub refresh_tokens: u64,
    pub throttle: u64,
}

/// Retention: what no request can need any more goes.
#[async_trait]
pub trait PurgeStore: Send + Sync {
    /// Deletes expired pending requests, sessions, codes and tokens and stale throttle rows;
    /// called periodically by the server. Also deletes clients registered more than
    /// `unused_client_ttl` seconds ago that never obtained a token (abandoned or flooding
    /// registrations); configured clients are exempt.
    async fn purge_expired(&self, now: i64, unused_client_ttl: i64) -> Result<Purged, Error>;
}

#[async_trait]
impl PurgeStore for SqlStore {
    async fn purge_expired(&self, now: i64, unused_client_ttl: i64) -> Result<Purged, Error> {
        sqlx::query(
            "DELETE FROM clients WHERE created_at < $1 AND configured = 0 AND obtained_token = 0 \
             AND NOT EXISTS (SELECT 1 FROM access_tokens t WHERE t.client_id = clients.client_id) \
             AND NOT EXISTS (SELECT 1 FROM auth_codes c WHERE c.client_id = clients.client_id) \
             AND NOT EXISTS (SELECT 1 FROM auth_requests r WHERE r.client_id = clients.client_id)",
        )
        .bind(now - unused_client_ttl)
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM auth_requests WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        sqlx::query("DELETE FROM login_sessions WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        sqlx::query("DELETE FROM mcp_sessions WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        // Keep used codes until well after expiry so a late replay is still recognised.
        sqlx::query("DELETE FROM auth_codes WHERE expires_at < $1")
            .bind(now - KEEP_EXPIRED_SECS)
            .execute(&self.pool)
            .await?;
        self.purge_stale(now).await
    }
}

impl SqlStore {
    /// Deletes access tokens expired for over [`KEEP_EXPIRED_SECS`] whose code is gone too (a
    /// replayed code finds its tokens through them), refresh tokens expired for as long, and
    /// sign-in throttle rows that have been forgotten (no failure for an hour, no lock-out).
    pub(super) async fn purge_stale(&self, now: i64) -> Result<Purged, Error> {
        serializable!(self, {
            let expired = now - KEEP_EXPIRED_SECS;
            let mut tx = self.begin_write().await?;
            // The unused-client expiry asks whether a client ever obtained a token; remember it
            // before the evidence goes.
            sqlx::query(
                "UPDATE clients SET obtained_token = 1 WHERE obtained_token = 0 \
                 AND client_id IN (SELECT client_id FROM access_tokens)",
            )
            .execute(&mut *tx)
            .await?;
            let access_tokens = sqlx::query(
                "DELETE FROM access_tokens WHERE expires_at < $1 AND (code_hash IS NULL OR NOT EXISTS \
                 (SELECT 1 FROM auth_codes c WHERE c.code_hash = access_tokens.code_hash))",
            )
            .bind(expired)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let refresh_tokens = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < $1")
                .bind(expired)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let throttle = sqlx::query("DELETE FROM login_throttle WHERE updated_at < $1 AND locked_until <= $2")
                .bind(now - FORGET_AFTER_SECS)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // Windows are at most a day long (registration: 10 minutes).
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(now - 86_400).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(Purged { access_tokens, refresh_tokens, throttle })
        })
    }
}
