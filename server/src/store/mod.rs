//! Persistence behind one async [`Store`] trait, so the protocol code sees domain types and the
//! trait, never SQL. Two backends, chosen by the `--db` URL (see [`open`]): an embedded SQLite
//! file (the default, nothing to install) and PostgreSQL (`postgres://…`, for replicas sharing one
//! database). Both run the same SQL through [`SqlStore`]; where the dialects differ it asks
//! [`Backend`].
//!
//! Security contract, upheld by every backend (and checked by the contract suite on each):
//! - secrets (codes, tokens, CSRF tokens) arrive already hashed; plaintext never reaches SQL;
//! - an authorization code is single-use: [`CodeStore::claim_code`] marks it used atomically, so
//!   two concurrent exchanges cannot both succeed, on one process or many;
//! - a pending authorization request is consumed exactly once
//!   ([`AuthRequestStore::take_auth_request`]);
//! - every multi-statement write is one serialisable transaction (SQLite `BEGIN IMMEDIATE`,
//!   PostgreSQL `SERIALIZABLE`, retried on a serialisation failure), so it is all or nothing and
//!   concurrent ones behave as if run one after the other.

mod audit;
mod auth_requests;
mod clients;
mod codes;
mod files;
mod grants;
pub mod keys;
mod mcp_sessions;
mod migrations;
mod purge;
mod refresh;
mod revocations;
mod rows;
mod server_secrets;
mod sql;
mod throttle;
mod tokens;
mod users;

use std::sync::Arc;

use async_trait::async_trait;

pub use audit::{clip, AuditEvent, AuditRow, AuditStore, COALESCE_WINDOW_SECS, MAX_ROWS_PER_WINDOW};
pub use auth_requests::{AuthRequest, AuthRequestStore};
pub use clients::{Client, ClientStore};
pub use codes::{AuthCode, CodeClaim, CodeStore};
pub use grants::{Grant, GrantStore};
pub use keys::KeyStore;
pub use mcp_sessions::{McpSession, McpSessionStore};
pub use purge::{PurgeStore, Purged, KEEP_EXPIRED_SECS};
pub use refresh::{RefreshClaim, RefreshStore, RefreshToken};
pub use revocations::{Revocation, RevocationStore, RevokedKind};
pub use server_secrets::SecretStore;
pub use sql::{Backend, SqlStore};
pub use throttle::{Reservation, ThrottlePolicy, ThrottleStore};
pub use tokens::{AccessToken, TokenStore};
pub use users::{NewUser, User, UserStore};

use crate::error::Error;

/// Everything the server keeps. Callers hold a [`SharedStore`].
#[async_trait]
pub trait Store:
    AuditStore
    + AuthRequestStore
    + ClientStore
    + CodeStore
    + GrantStore
    + KeyStore
    + McpSessionStore
    + PurgeStore
    + RefreshStore
    + RevocationStore
    + SecretStore
    + ThrottleStore
    + TokenStore
    + UserStore
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
{
    /// Which backend this is, for logs and readiness.
    fn backend(&self) -> Backend;

    /// A trivial query, for readiness checks: fails once the database is unreachable.
    async fn ping(&self) -> Result<(), Error>;

    /// Closes every connection (on SQLite, checkpointing the WAL) before shutdown.
    async fn close(&self);
}

/// `use crate::store::prelude::*;` brings every area trait into scope, so methods can be called
/// on a `dyn Store` without naming the trait each one comes from.
pub mod prelude {
    pub use super::{
        AuditStore as _, AuthRequestStore as _, ClientStore as _, CodeStore as _, GrantStore as _, KeyStore as _,
        McpSessionStore as _, PurgeStore as _, RefreshStore as _, RevocationStore as _, SecretStore as _, Store as _,
        ThrottleStore as _, TokenStore as _, UserStore as _,
    };
}

/// The store as the server holds it: one per process, shared by every handler.
pub type SharedStore = Arc<dyn Store>;

/// Opens the database named by `db` and applies migrations:
/// - a file path, or a `sqlite:` URL: SQLite (created on first run);
/// - a `postgres://` or `postgresql://` URL: PostgreSQL (the database must exist);
/// - any other `scheme://…` is refused, never taken for a file path.
pub async fn open(db: &str) -> Result<SharedStore, Error> {
    Ok(Arc::new(SqlStore::open(db).await?))
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
