//! PostgreSQL over TLS, as managed databases require: with `sslmode=verify-full` and the
//! database's CA in `sslrootcert`, the server migrates and works over TLS; a certificate it
//! cannot verify stops it with a clear error, never a plain-text fallback or a panic.
//! scripts/test.sh's PostgreSQL has TLS on, its throwaway CA in `TEST_POSTGRES_CA`.

use sqlx::Connection as _;

use crate::common::db::{self, Backend};
use crate::common::PASSWORD;

/// The test server's CA file, when there is a PostgreSQL to test (`None`: nothing to do here).
fn ca_file() -> Option<String> {
    Backend::postgres()?;
    let ca = std::env::var("TEST_POSTGRES_CA");
    assert!(
        ca.is_ok() || std::env::var("REQUIRE_POSTGRES").is_err(),
        "REQUIRE_POSTGRES is set but TEST_POSTGRES_CA is not (scripts/test.sh sets both)"
    );
    ca.ok()
}

/// `url` with the extra query parameters (`url` already has a query: `options=…`).
fn with(url: &str, params: &str) -> String {
    format!("{url}&{params}")
}

/// How many of the connections named `app` are open, and how many of them use TLS.
async fn connections_of(app: &str) -> (i64, i64) {
    let admin = std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL");
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("admin connection");
    let counts: (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s ON s.pid = a.pid \
         WHERE a.application_name = $1",
    )
    .bind(app)
    .fetch_one(&mut conn)
    .await
    .expect("pg_stat_ssl");
    conn.close().await.ok();
    counts
}

#[tokio::test]
async fn the_store_talks_to_postgres_over_verified_tls_and_the_check_sees_plain_connections() {
    let Some(ca) = ca_file() else { return };
    let dir = tempfile::tempdir().unwrap();
    let base = db::fresh(Backend::Postgres, dir.path()).await;

    let tls_app = format!("tls_{:08x}", rand::random::<u32>());
    let tls = with(&base, &format!("sslmode=verify-full&sslrootcert={ca}&application_name={tls_app}"));
    let store = server::store::open(&tls).await.expect("the store opens over verified TLS");
    let (open, over_tls) = connections_of(&tls_app).await;
    assert!(open >= 1, "the store keeps a connection");
    assert_eq!(over_tls, open, "every connection of the store uses TLS");
    drop(store);

    // The same query sees a plain connection as plain, so the check above can fail.
    let plain_app = format!("plain_{:08x}", rand::random::<u32>());
    let plain = with(&base, &format!("sslmode=disable&application_name={plain_app}"));
    let _store = server::store::open(&plain).await.expect("the store opens without TLS");
    assert_eq!(connections_of(&plain_app).await.1, 0);
}

#[tokio::test]
async fn a_certificate_the_server_cannot_verify_stops_it_with_a_clear_error() {
    let Some(_ca) = ca_file() else { return };
    let dir = tempfile::tempdir().unwrap();
    let base = db::fresh(Backend::Postgres, dir.path()).await;
    // The webpki roots do not hold the test CA: the same as a forged or misissued certificate.
    for url in [with(&base, "sslmode=verify-full"), with(&base, "sslmode=verify-ca")] {
        let out = db::server_cli(&url, dir.path(), &["user", "add", "bob", "--password-stdin"], PASSWORD);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url}: the server ran on an unverified connection");
        assert!(!stderr.contains("panicked"), "{url}: {stderr}");
        assert!(stderr.to_lowercase().contains("certificate"), "{url}: the error names the certificate: {stderr}");
    }
}
