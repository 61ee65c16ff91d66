//! The SQL implementation of [`super::Store`], for SQLite and PostgreSQL alike: one set of
//! queries (`$n` placeholders, which both accept), sqlx's `Any` driver underneath, and
//! [`Backend`] for the few places the dialects differ.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor as _};

use super::{files, migrations, Store};
use crate::error::Error;

/// Which database a [`SqlStore`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// How a write transaction starts. SQLite: take the write lock at once, so a transaction
    /// never fails half-way on a lock it could not upgrade. PostgreSQL: serialisable, so
    /// concurrent transactions behave as if one ran after the other (a conflict aborts one, and
    /// [`serializable!`] runs it again).
    pub(super) fn begin_write(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        }
    }

    /// The two-argument minimum and maximum (SQLite overloads `MIN`/`MAX`; PostgreSQL has
    /// `LEAST`/`GREATEST`).
    pub(super) fn least(self) -> &'static str {
        match self {
            Self::Sqlite => "MIN",
            Self::Postgres => "LEAST",
        }
    }

    pub(super) fn greatest(self) -> &'static str {
        match self {
            Self::Sqlite => "MAX",
            Self::Postgres => "GREATEST",
        }
    }

    /// Equality that treats two NULLs as equal.
    pub(super) fn null_safe_eq(self) -> &'static str {
        match self {
            Self::Sqlite => "IS",
            Self::Postgres => "IS NOT DISTINCT FROM",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SqlStore {
    pub(super) pool: AnyPool,
    pub(super) backend: Backend,
    /// Woken after every revocation commits (see `revocations`).
    pub(super) revoked: Arc<tokio::sync::Notify>,
}

/// Attempts of one serialisable transaction before its failure is reported.
const MAX_ATTEMPTS: u32 = 8;

impl SqlStore {
    pub async fn open(db: &str) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        let (backend, url) = match scheme(db) {
            Some(s) if s.eq_ignore_ascii_case("postgres") || s.eq_ignore_ascii_case("postgresql") => {
                (Backend::Postgres, db.to_owned())
            }
            Some(s) if s.eq_ignore_ascii_case("sqlite") => (Backend::Sqlite, with_create_mode(db)),
            Some(s) => {
                return Err(Error::Config(format!(
                    "unsupported database URL scheme \"{s}:\": --db takes a SQLite file path, a sqlite: URL or a \
                     postgres:// URL"
                )))
            }
            None => (Backend::Sqlite, sqlite_file_url(db)?),
        };
        let options: AnyConnectOptions = url.parse()?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers never wait for the writer. NORMAL: a commit survives a
                        // process crash (only an OS crash can lose the last transactions).
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        migrations::run(backend, &pool).await?;
        if backend == Backend::Sqlite {
            files::restrict(&pool).await?;
        }
        Ok(Self { pool, backend, revoked: Arc::default() })
    }

    /// Starts a write transaction the way [`Backend::begin_write`] says.
    pub(super) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, Error> {
        Ok(self.pool.begin_with(self.backend.begin_write()).await?)
    }

    /// Whether a failed transaction should run again: a serialisation failure or deadlock on
    /// PostgreSQL (nothing was written), up to [`MAX_ATTEMPTS`]; waits a little first.
    pub(super) async fn retry_after(&self, e: &Error, attempt: u32) -> bool {
        let Error::Store(sqlx::Error::Database(db)) = e else { return false };
        let retryable = matches!(db.code().as_deref(), Some("40001" | "40P01"));
        if !retryable || attempt >= MAX_ATTEMPTS {
            return false;
        }
        let jitter = u64::from(rand::random::<u8>() % 8);
        tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 4 + jitter)).await;
        true
    }
}

/// Runs `$body` (statements ending in a `Result`, usually one transaction) again while
/// [`SqlStore::retry_after`] says so. `return` and `?` inside leave the body, not the function.
macro_rules! serializable {
    ($store:expr, $body:block) => {{
        let mut attempt = 1u32;
        loop {
            let result: Result<_, $crate::error::Error> = async $body.await;
            match result {
                Err(e) if $store.retry_after(&e, attempt).await => attempt += 1,
                other => break other,
            }
        }
    }};
}
pub(super) use serializable;

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// The scheme of `db` when it looks like a URL (`scheme://…` or `sqlite:…`), else `None` (a path).
/// Without this, `mysql://host/db` would quietly become a SQLite file in a folder named `mysql:`.
fn scheme(db: &str) -> Option<&str> {
    let (scheme, rest) = db.split_once(':')?;
    let plausible = !scheme.is_empty()
        && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (plausible && (rest.starts_with("//") || scheme.eq_ignore_ascii_case("sqlite"))).then_some(scheme)
}

/// A `sqlite:` URL that creates the file when missing, unless it says otherwise.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The URL of the SQLite file at `path`, created first (private, see `files`). Absolute, so the
/// URL parser has no `..` to fold.
fn sqlite_file_url(path: &str) -> Result<String, Error> {
    files::prepare(std::path::Path::new(path))?;
    let absolute = std::fs::canonicalize(path).map_err(|e| Error::Config(format!("cannot open {path}: {e}")))?;
    const RESERVED: &percent_encoding::AsciiSet =
        &percent_encoding::CONTROLS.add(b' ').add(b'?').add(b'#').add(b'%').add(b'"').add(b'<').add(b'>');
    let encoded = percent_encoding::utf8_percent_encode(&absolute.to_string_lossy(), RESERVED).to_string();
    Ok(format!("sqlite://{encoded}?mode=rwc"))
}

#[cfg(test)]
mod tests {
    use super::scheme;

    #[test]
    fn urls_are_told_from_paths() {
        for (db, want) in [
            ("postgres://u@h/db", Some("postgres")),
            ("postgresql://h/db", Some("postgresql")),
            ("mysql://h/db", Some("mysql")),
            ("POSTGRES://h/db", Some("POSTGRES")),
            ("sqlite:data/x.db", Some("sqlite")),
            ("sqlite://data/x.db", Some("sqlite")),
            ("data/mcp-auth.db", None),
            ("/tmp/a:b.db", None),
            ("C:/x.db", None),
        ] {
            assert_eq!(scheme(db), want, "{db}");
        }
    }

    #[tokio::test]
    async fn other_database_urls_are_refused() {
        for bad in ["mysql://h/db", "redis://h", "file://x.db"] {
            let e = super::SqlStore::open(bad).await.expect_err(bad).to_string();
            assert!(e.contains("unsupported database URL scheme"), "{e}");
        }
    }
}
