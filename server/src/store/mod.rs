//! Persistence: one SQLite file (created on first run, migrated at open).
//!
//! Security contract, upheld by every method here:
//! - secrets (codes, tokens, CSRF tokens) arrive already hashed; plaintext never reaches SQL;
//! - an authorization code is single-use: [`Store::claim_code`] marks it used atomically, so two
//!   concurrent exchanges cannot both succeed;
//! - a pending authorization request is consumed exactly once ([`Store::take_auth_request`]).

mod audit;
mod auth_requests;
mod clients;
mod codes;
mod files;
mod grants;
pub mod keys;
mod migrations;
mod purge;
mod refresh;
mod revocations;
mod rows;
mod server_secrets;
mod throttle;
mod tokens;
mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use audit::{clip, AuditEvent, AuditRow, COALESCE_WINDOW_SECS, MAX_ROWS_PER_WINDOW};
pub use auth_requests::AuthRequest;
pub use clients::Client;
pub use codes::{AuthCode, CodeClaim};
pub use grants::Grant;
pub use purge::{Purged, KEEP_EXPIRED_SECS};
pub use refresh::{RefreshClaim, RefreshToken};
pub use revocations::{Revocation, RevokedKind};
pub use throttle::{Reservation, ThrottlePolicy};
pub use tokens::AccessToken;
pub use users::{NewUser, User};

use crate::error::Error;

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// Resolves `client_id`s that are metadata-document URLs; `None` outside a running server.
    client_documents: Option<std::sync::Arc<crate::oauth::cimd::ClientDocuments>>,
    /// Woken after every revocation commits (see `revocations`).
    revoked: std::sync::Arc<tokio::sync::Notify>,
}

impl Store {
    /// Opens (creating if missing) the database at `db`, a file path or a `sqlite:` URL, and
    /// applies migrations.
    pub async fn open(db: &str) -> Result<Self, Error> {
        refuse_other_schemes(db)?;
        let options = if db.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(db)?
        } else {
            files::prepare(std::path::Path::new(db))?;
            SqliteConnectOptions::new().filename(db)
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        migrations::migrator().run(&pool).await?;
        files::restrict(&pool).await?;
        Ok(Self { pool, client_documents: None, revoked: std::sync::Arc::default() })
    }

    /// This store, also resolving Client ID Metadata Document URLs in [`Store::lookup_client`].
    #[must_use]
    pub fn with_client_documents(self, documents: std::sync::Arc<crate::oauth::cimd::ClientDocuments>) -> Self {
        Self { client_documents: Some(documents), ..self }
    }

    /// A trivial query, for readiness checks: fails once the pool is closed or the file is gone.
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection (checkpointing the WAL) before shutdown.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Deletes expired pending requests, sessions, codes and tokens and stale throttle rows
    /// ([`Store::purge_stale`]); called periodically by the server. Also deletes clients
    /// registered more than `unused_client_ttl` seconds ago that never obtained a token
    /// (abandoned or flooding registrations); configured clients are exempt.
    pub async fn purge_expired(&self, now: i64, unused_client_ttl: i64) -> Result<Purged, Error> {
        sqlx::query(
            "DELETE FROM clients WHERE created_at < ? AND configured = 0 AND obtained_token = 0 \
             AND NOT EXISTS (SELECT 1 FROM access_tokens t WHERE t.client_id = clients.client_id) \
             AND NOT EXISTS (SELECT 1 FROM auth_codes c WHERE c.client_id = clients.client_id) \
             AND NOT EXISTS (SELECT 1 FROM auth_requests r WHERE r.client_id = clients.client_id)",
        )
        .bind(now - unused_client_ttl)
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM auth_requests WHERE expires_at < ?").bind(now).execute(&self.pool).await?;
        sqlx::query("DELETE FROM login_sessions WHERE expires_at < ?").bind(now).execute(&self.pool).await?;
        // Keep used codes until well after expiry so a late replay is still recognised.
        sqlx::query("DELETE FROM auth_codes WHERE expires_at < ?")
            .bind(now - KEEP_EXPIRED_SECS)
            .execute(&self.pool)
            .await?;
        self.purge_stale(now).await
    }
}

/// A `--db` that looks like a URL of another database is an error, never a file path: without
/// this, `postgres://host/db` would quietly become a SQLite file in a folder named `postgres:`.
fn refuse_other_schemes(db: &str) -> Result<(), Error> {
    let Some((scheme, _)) = db.split_once(':') else {
        return Ok(());
    };
    let looks_like_url = db[scheme.len()..].starts_with("://")
        && !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !looks_like_url || scheme.eq_ignore_ascii_case("sqlite") {
        return Ok(());
    }
    let hint = if scheme.starts_with("postgres") { " PostgreSQL is not supported yet (planned)." } else { "" };
    Err(Error::Config(format!(
        "unsupported database URL scheme \"{scheme}:\": --db takes a SQLite file path or a sqlite: URL.{hint}"
    )))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Maps a UNIQUE violation to `Conflict`, everything else to `Store`.
fn conflict_or(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict,
        _ => Error::Store(e),
    }
}

#[cfg(test)]
mod tests {
    use super::refuse_other_schemes;

    #[test]
    fn other_database_urls_are_refused_and_paths_are_not() {
        for bad in ["postgres://u@h/db", "postgresql://h/db", "mysql://h/db", "POSTGRES://h/db", "redis://h"] {
            let e = refuse_other_schemes(bad).expect_err(bad).to_string();
            assert!(e.contains("unsupported database URL scheme"), "{e}");
        }
        assert!(refuse_other_schemes("postgres://h/db").expect_err("pg").to_string().contains("PostgreSQL"));
        for ok in
            ["data/mcp-auth.db", "sqlite:data/x.db", "sqlite://data/x.db", "SQLITE://x.db", "/tmp/a:b.db", "C:/x.db"]
        {
            assert!(refuse_other_schemes(ok).is_ok(), "{ok}");
        }
    }
}
