//! Secrets the server generates for itself and keeps across restarts.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::SqlStore;
use async_trait::async_trait;

use crate::error::Error;

const COOKIE_KEY: &str = "cookie_hmac_key";

/// Secrets the server keeps for itself.
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// The 256-bit key that signs cookies, created on first use. insert-if-absent then read, so
    /// two processes starting at once agree on one key.
    async fn cookie_key(&self, now: i64) -> Result<[u8; 32], Error>;
}

#[async_trait]
impl SecretStore for SqlStore {
    async fn cookie_key(&self, now: i64) -> Result<[u8; 32], Error> {
        let fresh: [u8; 32] = rand::random();
        sqlx::query("INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(COOKIE_KEY)
            .bind(STANDARD.encode(fresh))
            .bind(now)
            .execute(&self.pool)
            .await?;
        let stored: String = sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(COOKIE_KEY)
            .fetch_one(&self.pool)
            .await?;
        STANDARD
            .decode(stored)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::Internal("the stored cookie key is corrupt".into()))
    }
}
