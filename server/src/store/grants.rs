//! Login sessions and remembered consent. Session cookies are looked up by hash only. Revoking a
//! grant also revokes every token the client holds for that user.

use super::revocations::log_families;
use super::{SqlStore, User};
use async_trait::async_trait;

use super::sql::serializable;
use crate::error::Error;

/// A remembered consent, with the client's display name for the account page.
#[derive(Clone, Debug)]
pub struct Grant {
    pub client_id: String,
    pub client_name: Option<String>,
    pub scope: String,
    pub updated_at: i64,
}

/// Login sessions and remembered consent.
#[async_trait]
pub trait GrantStore: Send + Sync {
    async fn create_login_session(&self, hash: &str, user_id: &str, now: i64, ttl: i64) -> Result<(), Error>;

    /// The active user of a live session.
    async fn login_session_user(&self, hash: &str, now: i64) -> Result<Option<User>, Error>;

    async fn delete_login_session(&self, hash: &str) -> Result<(), Error>;

    async fn find_grant_scope(&self, user_id: &str, client_id: &str) -> Result<Option<String>, Error>;

    /// Remembers consent for `scope` (the caller passes the union with what was remembered).
    async fn save_grant(&self, user_id: &str, client_id: &str, scope: &str, now: i64) -> Result<(), Error>;

    async fn list_grants(&self, user_id: &str) -> Result<Vec<Grant>, Error>;

    /// Forgets the consent and revokes every access and refresh token of that client for that user,
    /// logging their grants for the resource servers.
    async fn revoke_grant(&self, user_id: &str, client_id: &str, now: i64) -> Result<bool, Error>;

    /// Ends everything a user's password let them start: login sessions, and every access and
    /// refresh token of every client (logged for the resource servers). Remembered consent stays:
    /// it records what the user allowed, not a credential. Returns how many grants were revoked.
    async fn revoke_user_sessions(&self, user_id: &str, now: i64) -> Result<u64, Error>;
}

#[async_trait]
impl GrantStore for SqlStore {
    async fn create_login_session(&self, hash: &str, user_id: &str, now: i64, ttl: i64) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO login_sessions (session_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(user_id)
        .bind(now)
        .bind(now + ttl)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn login_session_user(&self, hash: &str, now: i64) -> Result<Option<User>, Error> {
        Ok(sqlx::query_as(
            "SELECT u.* FROM login_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.session_hash = $1 AND s.expires_at > $2 AND u.status = 'active'",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn delete_login_session(&self, hash: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM login_sessions WHERE session_hash = $1").bind(hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn find_grant_scope(&self, user_id: &str, client_id: &str) -> Result<Option<String>, Error> {
        Ok(sqlx::query_scalar("SELECT scope FROM grants WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn save_grant(&self, user_id: &str, client_id: &str, scope: &str, now: i64) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO grants (user_id, client_id, scope, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(scope)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_grants(&self, user_id: &str) -> Result<Vec<Grant>, Error> {
        Ok(sqlx::query_as(
            "SELECT g.client_id, c.client_name, g.scope, g.updated_at FROM grants g \
             JOIN clients c ON c.client_id = g.client_id WHERE g.user_id = $1 ORDER BY g.updated_at DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn revoke_grant(&self, user_id: &str, client_id: &str, now: i64) -> Result<bool, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            let gone = sqlx::query("DELETE FROM grants WHERE user_id = $1 AND client_id = $2")
                .bind(user_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let families = "SELECT family_id FROM access_tokens WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL \
                            UNION SELECT family_id FROM refresh_tokens WHERE user_id = $3 AND client_id = $4 AND revoked_at IS NULL";
            log_families(&mut tx, families, &[user_id, client_id, user_id, client_id], now).await?;
            for table in ["access_tokens", "refresh_tokens"] {
                sqlx::query(&format!(
                    "UPDATE {table} SET revoked_at = $1 WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL"
                ))
                .bind(now)
                .bind(user_id)
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
            }
            self.commit_revocation(tx).await?;
            Ok(gone == 1)
        })
    }

    async fn revoke_user_sessions(&self, user_id: &str, now: i64) -> Result<u64, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            sqlx::query("DELETE FROM login_sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            let families = "SELECT family_id FROM access_tokens WHERE user_id = $1 AND revoked_at IS NULL \
                            UNION SELECT family_id FROM refresh_tokens WHERE user_id = $2 AND revoked_at IS NULL";
            let (count,): (i64,) =
                sqlx::query_as(&format!("SELECT COUNT(*) FROM ({families}) AS f WHERE family_id IS NOT NULL"))
                    .bind(user_id)
                    .bind(user_id)
                    .fetch_one(&mut *tx)
                    .await?;
            log_families(&mut tx, families, &[user_id, user_id], now).await?;
            for table in ["access_tokens", "refresh_tokens"] {
                sqlx::query(&format!("UPDATE {table} SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"))
                    .bind(now)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            self.commit_revocation(tx).await?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }
}
