//! The schema migrations, compiled into the binary and applied at open.
//!
//! A runtime list over `include_str!` instead of `sqlx::migrate!`: the macro needs sqlx's
//! proc-macro crate, which builds a second, host copy of sqlx and of SQLite itself. The version,
//! description and SQL are what the macro would have derived from the file names, so databases
//! migrated by earlier builds keep matching checksums. A new migration is one more line below.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::AnyPool;

use super::Backend;
use crate::error::Error;

/// SQLite's `(file name, contents)` in version order.
const SQLITE: &[(&str, &str)] = &[
    ("0001_init.sql", include_str!("../../migrations/0001_init.sql")),
    ("0002_audit.sql", include_str!("../../migrations/0002_audit.sql")),
    ("0003_refresh_tokens.sql", include_str!("../../migrations/0003_refresh_tokens.sql")),
    ("0004_sessions_and_grants.sql", include_str!("../../migrations/0004_sessions_and_grants.sql")),
    ("0005_signing_keys.sql", include_str!("../../migrations/0005_signing_keys.sql")),
    ("0006_login_throttle.sql", include_str!("../../migrations/0006_login_throttle.sql")),
    ("0010_server_secrets.sql", include_str!("../../migrations/0010_server_secrets.sql")),
    ("0011_client_types.sql", include_str!("../../migrations/0011_client_types.sql")),
    ("0013_bounded_growth.sql", include_str!("../../migrations/0013_bounded_growth.sql")),
    ("0014_revocations.sql", include_str!("../../migrations/0014_revocations.sql")),
    ("0015_replicas.sql", include_str!("../../migrations/0015_replicas.sql")),
    ("0016_refresh_grace.sql", include_str!("../../migrations/0016_refresh_grace.sql")),
];

/// PostgreSQL's, in `migrations/postgres/`: the schema the SQLite ones arrive at, then changes.
const POSTGRES: &[(&str, &str)] = &[
    ("0001_schema.sql", include_str!("../../migrations/postgres/0001_schema.sql")),
    ("0002_refresh_grace.sql", include_str!("../../migrations/postgres/0002_refresh_grace.sql")),
];

fn files(backend: Backend) -> &'static [(&'static str, &'static str)] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// The migrator for `backend`'s files, in the shape `sqlx::migrate!` builds. On PostgreSQL it
/// holds an advisory lock while it runs, so replicas starting together migrate once.
pub fn migrator(backend: Backend) -> Migrator {
    let migrations = files(backend).iter().map(|(name, sql)| {
        let (version, description) = parse_name(name);
        Migration::new(version, Cow::Owned(description), MigrationType::Simple, Cow::Borrowed(sql), false)
    });
    Migrator { migrations: Cow::Owned(migrations.collect()), ..Migrator::DEFAULT }
}

/// Applies what is missing. PostgreSQL: the migrator's advisory lock serialises replicas. SQLite
/// has no such lock, and two processes opening a new file together both saw nothing applied and
/// both ran migration 1 ("table users already exists"); so the whole run is one `BEGIN IMMEDIATE`
/// transaction (each migration a savepoint in it): the second waits, then finds all applied.
pub async fn run(backend: Backend, pool: &AnyPool) -> Result<(), Error> {
    let migrator = migrator(backend);
    match backend {
        Backend::Postgres => migrator.run(pool).await?,
        Backend::Sqlite => {
            let mut tx = pool.begin_with(backend.begin_write()).await?;
            migrator.run_direct(&mut *tx).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}

/// `0004_sessions_and_grants.sql` → `(4, "sessions and grants")`, as sqlx names them.
fn parse_name(name: &str) -> (i64, String) {
    let stem = name.strip_suffix(".sql").unwrap_or(name);
    let (version, description) = stem.split_once('_').unwrap_or((stem, ""));
    // The list above is fixed at compile time; the unit test below checks every name parses.
    (version.parse().unwrap_or(-1), description.replace('_', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_has_a_version_in_increasing_order_and_a_description() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let versions: Vec<i64> = files(backend).iter().map(|(name, _)| parse_name(name).0).collect();
            assert!(versions.iter().all(|v| *v > 0), "{versions:?}");
            assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        }
        assert_eq!(parse_name("0004_sessions_and_grants.sql"), (4, "sessions and grants".into()));
    }

    #[test]
    fn every_file_in_the_migrations_folders_is_listed() {
        for (backend, folder) in [(Backend::Sqlite, "migrations"), (Backend::Postgres, "migrations/postgres")] {
            assert_eq!(on_disk(folder), files(backend).iter().map(|(name, _)| *name).collect::<Vec<_>>());
        }
    }

    fn on_disk(folder: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        on_disk.sort();
        on_disk
    }
}
