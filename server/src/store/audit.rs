//! The audit log: one row per security-relevant event, mirrored to `tracing`. Callers pass ids
//! and short descriptions only, never a token, code or password.

use super::Store;
use crate::error::Error;

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
    TokenRevoked,
    /// A Client ID Metadata Document URL or document was refused (fetch failed or invalid).
    ClientMetadataRefused,
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
            Self::TokenRevoked => "token_revoked",
            Self::ClientMetadataRefused => "client_metadata_refused",
        }
    }
}

#[derive(Clone, Debug)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub event: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub detail: Option<String>,
}

impl Store {
    /// Records an event. Failure to write is logged, not raised: the request it describes has
    /// already happened and must not fail because of the log.
    pub async fn audit(&self, event: AuditEvent, user_id: Option<&str>, client_id: Option<&str>, detail: &str) {
        tracing::info!(target: "audit", event = event.as_str(), user_id, client_id, detail);
        let res =
            sqlx::query("INSERT INTO audit_events (at, event, user_id, client_id, detail) VALUES (?, ?, ?, ?, ?)")
                .bind(super::now())
                .bind(event.as_str())
                .bind(user_id)
                .bind(client_id)
                .bind(detail)
                .execute(&self.pool)
                .await;
        if let Err(e) = res {
            tracing::error!(error = %e, event = event.as_str(), "could not write audit event");
        }
    }

    /// The newest events first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditRow>, Error> {
        Ok(sqlx::query_as("SELECT * FROM audit_events ORDER BY id DESC LIMIT ?")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }
}
