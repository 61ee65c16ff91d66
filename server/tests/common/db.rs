//! The databases the tests run on. SQLite: a file in a temporary folder. PostgreSQL: a fresh
//! schema in the server named by `TEST_POSTGRES_URL` (scripts/test.sh starts a throwaway one and
//! sets it, with `REQUIRE_POSTGRES=1` so that a missing server fails the run instead of skipping).

use sqlx::Connection as _;

/// A storage backend under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backends available here, SQLite always. PostgreSQL when `TEST_POSTGRES_URL` is set;
    /// when it is not, a test on both prints that it ran on SQLite alone, or fails if
    /// `REQUIRE_POSTGRES` is set.
    pub fn all() -> Vec<Backend> {
        if std::env::var("TEST_POSTGRES_URL").is_ok() {
            return vec![Backend::Sqlite, Backend::Postgres];
        }
        assert!(
            std::env::var("REQUIRE_POSTGRES").is_err(),
            "REQUIRE_POSTGRES is set but TEST_POSTGRES_URL is not: start PostgreSQL (scripts/test.sh does)"
        );
        eprintln!("note: TEST_POSTGRES_URL is not set: running on SQLite only (scripts/test.sh runs both)");
        vec![Backend::Sqlite]
    }

    /// PostgreSQL alone, for tests that need a shared server database (replicas); `None` (the
    /// test returns early, saying so) when there is none and it is not required.
    pub fn postgres() -> Option<Backend> {
        Self::all().contains(&Backend::Postgres).then_some(Backend::Postgres)
    }
}

/// A new, empty database for `backend`: a SQLite path inside `dir`, or the URL of a new schema
/// (every connection's `search_path`) in the test PostgreSQL server.
pub async fn fresh(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => dir.join(format!("db-{}.sqlite", rand::random::<u32>())).to_str().unwrap().to_owned(),
        Backend::Postgres => {
            let admin = std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL");
            let schema = format!("t_{:016x}", rand::random::<u64>());
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to TEST_POSTGRES_URL");
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
            conn.close().await.ok();
            let sep = if admin.contains('?') { '&' } else { '?' };
            format!("{admin}{sep}options=-c%20search_path%3D{schema}")
        }
    }
}

/// Runs the `server` binary's CLI once on database `db` (in `dir`), `stdin` written to it.
pub fn server_cli(db: &str, dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--db", db])
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}
