//! MCP sessions (protocol 2025-06-18 and 2025-11-25) shared by every replica: who opened each
//! session (the bearer guard binds a session to its user) and rmcp's state for restoring it on a
//! process that has not seen it. The session id is rmcp's random UUID, never a credential.

use async_trait::async_trait;

use super::SqlStore;
use crate::error::Error;

/// How long a session row outlives its last save.
pub const MCP_SESSION_TTL_SECS: i64 = 24 * 3600;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McpSession {
    pub session_id: String,
    /// Who opened it; `None` while rmcp has saved its state but the guard not yet its owner.
    pub user_id: Option<String>,
    /// rmcp's `SessionState`, as JSON.
    pub state: Option<String>,
    pub expires_at: i64,
}

/// MCP sessions shared across replicas.
#[async_trait]
pub trait McpSessionStore: Send + Sync {
    /// Binds `session_id` to `user_id`, unless another user already holds it (false then).
    async fn claim_mcp_session(&self, session_id: &str, user_id: &str, now: i64) -> Result<bool, Error>;

    /// Saves rmcp's state of a session, keeping its owner.
    async fn save_mcp_session_state(&self, session_id: &str, state: &str, now: i64) -> Result<(), Error>;

    /// The session, unless unknown or expired.
    async fn find_mcp_session(&self, session_id: &str, now: i64) -> Result<Option<McpSession>, Error>;

    async fn delete_mcp_session(&self, session_id: &str) -> Result<(), Error>;
}

#[async_trait]
impl McpSessionStore for SqlStore {
    async fn claim_mcp_session(&self, session_id: &str, user_id: &str, now: i64) -> Result<bool, Error> {
        let owner: Option<Option<String>> = sqlx::query_scalar(
            "INSERT INTO mcp_sessions (session_id, user_id, state, created_at, expires_at) VALUES ($1, $2, NULL, $3, $4) \
             ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id, expires_at = excluded.expires_at \
             WHERE mcp_sessions.user_id IS NULL OR mcp_sessions.user_id = excluded.user_id \
             RETURNING user_id",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(now)
        .bind(now + MCP_SESSION_TTL_SECS)
        .fetch_optional(&self.pool)
        .await?;
        Ok(owner.flatten().as_deref() == Some(user_id))
    }

    async fn save_mcp_session_state(&self, session_id: &str, state: &str, now: i64) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO mcp_sessions (session_id, user_id, state, created_at, expires_at) VALUES ($1, NULL, $2, $3, $4) \
             ON CONFLICT (session_id) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at",
        )
        .bind(session_id)
        .bind(state)
        .bind(now)
        .bind(now + MCP_SESSION_TTL_SECS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn find_mcp_session(&self, session_id: &str, now: i64) -> Result<Option<McpSession>, Error> {
        let row: Option<(String, Option<String>, Option<String>, i64)> = sqlx::query_as(
            "SELECT session_id, user_id, state, expires_at FROM mcp_sessions WHERE session_id = $1 AND expires_at > $2",
        )
        .bind(session_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(session_id, user_id, state, expires_at)| McpSession { session_id, user_id, state, expires_at }))
    }

    async fn delete_mcp_session(&self, session_id: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM mcp_sessions WHERE session_id = $1").bind(session_id).execute(&self.pool).await?;
        Ok(())
    }
}
