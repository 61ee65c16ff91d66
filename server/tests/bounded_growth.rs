//! What outside input can add to the database is bounded: audit fields are clipped, repeated
//! refusals share one row, and the periodic purge removes what is past its use or retention.

use reqwest::StatusCode;
use server::store::{AccessToken, AuditEvent, AuthCode, RefreshToken, KEEP_EXPIRED_SECS};

use crate::common::{new_verifier, send_all_at_once, spawn_app, spawn_app_with, TestApp};

const REFUSED: &str = "client_metadata_refused";

/// (rows, occurrences, stored bytes of the text columns) of `event` in the audit table.
async fn audit_size(app: &TestApp, event: &str) -> (i64, i64, i64) {
    let row = app
        .sql_row(&format!(
            "SELECT COUNT(*), COALESCE(SUM(count), 0), COALESCE(SUM(LENGTH(event) + COALESCE(LENGTH(user_id), 0) \
             + COALESCE(LENGTH(client_id), 0) + COALESCE(LENGTH(detail), 0)), 0) FROM audit_events WHERE event = '{event}'"
        ))
        .await;
    (row[0], row[1], row[2])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_refusals_of_a_60_kb_client_id_add_one_small_audit_row() {
    let app = spawn_app_with(|c| c.cimd_allow_insecure_loopback = false).await;
    let huge = format!("https://client.example/{}", "a".repeat(60 * 1024));
    let url = app.authorize_url(&huge, &new_verifier(), &[]);
    let requests = (0..40).map(|_| app.http.get(&url)).collect();
    for resp in send_all_at_once(requests).await {
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let html = resp.text().await.unwrap();
        assert!(html.len() < 8 * 1024, "the error page does not echo the client_id: {} bytes", html.len());
    }
    let (rows, occurrences, bytes) = audit_size(&app, REFUSED).await;
    assert_eq!((rows, occurrences), (1, 40), "one row counting all 40, even when they race");
    assert!(bytes < 1024, "{bytes} bytes stored for 40 × 60 KB of input");
    let row = &app.store.recent_audit(1).await.unwrap()[0];
    let stored = row.client_id.as_deref().unwrap();
    assert!(stored.starts_with("https://client.example/aaaa") && stored.contains(&format!("{} bytes", huge.len())));
}

#[tokio::test]
async fn distinct_refusals_are_capped_per_window() {
    let app = spawn_app().await;
    let cap = server::store::MAX_ROWS_PER_WINDOW;
    let t0 = server::store::now();
    for n in 0..cap + 50 {
        let id = format!("https://c{n}.example/{}", "x".repeat(5000));
        app.store.audit_at(AuditEvent::ClientMetadataRefused, None, Some(&id), "refused", t0).await;
    }
    let (rows, occurrences, bytes) = audit_size(&app, REFUSED).await;
    assert_eq!((rows, occurrences), (cap + 1, cap + 50), "the rest share one overflow row");
    assert!(bytes < (cap + 1) * 400, "{bytes}");
    // The next window starts afresh.
    let later = t0 + server::store::COALESCE_WINDOW_SECS + 1;
    app.store.audit_at(AuditEvent::ClientMetadataRefused, None, Some("https://c0.example/x"), "refused", later).await;
    assert_eq!(audit_size(&app, REFUSED).await.0, cap + 2);
    // Events that need an account or a client are never coalesced.
    for _ in 0..3 {
        app.store.audit_at(AuditEvent::TokenIssued, Some("u"), Some("c"), "same", t0).await;
    }
    assert_eq!(audit_size(&app, "token_issued").await.0, 3);
}

/// The values of `column` in `table`, sorted, comma-separated.
async fn left(app: &TestApp, table: &str, column: &str) -> String {
    let select = format!("SELECT group_concat({column}, ',') FROM (SELECT {column} FROM {table} ORDER BY 1)");
    let url = format!("sqlite:{}", app.db_path().display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let value: Option<String> = sqlx::query_scalar(&select).fetch_one(&mut conn).await.unwrap();
    value.unwrap_or_default()
}

/// Stored rows at explicit times around `t`, each named by its expected fate.
#[tokio::test]
async fn purge_at_an_explicit_time_removes_exactly_what_is_past_retention() {
    let app = spawn_app().await;
    let user = app.add_user("alice").await;
    let client = app.register_client().await;
    let t = server::store::now() + 30 * 86_400;
    let retention = 90 * 86_400;

    // Audit: before the cut-off goes; at it, or coalesced into a recent row, stays.
    let audit = |at: i64, detail: &'static str| {
        let store = app.store.clone();
        async move { store.audit_at(AuditEvent::ClientMetadataRefused, None, Some("https://x.example/c"), detail, at).await }
    };
    audit(t - retention - 1, "old").await;
    audit(t - retention, "at the cut-off").await;
    audit(t - retention - 100, "old but repeated recently").await;
    audit(t - retention + 200, "old but repeated recently").await;

    // Access tokens: expired over an hour ago goes, unless its code is still kept (a late
    // replay must still find and revoke it); recently expired and live ones stay.
    let token = |hash: &str, expires_at: i64, code_hash: Option<&str>| AccessToken {
        token_hash: hash.into(),
        client_id: client.clone(),
        user_id: user.clone(),
        scope: "user".into(),
        audience: app.mcp_url.clone(),
        code_hash: code_hash.map(str::to_owned),
        issued_at: expires_at - 900,
        expires_at,
        revoked_at: None,
        family_id: None,
        jti: None,
    };
    let code = AuthCode {
        code_hash: "kept-code".into(),
        client_id: client.clone(),
        user_id: user.clone(),
        redirect_uri: crate::common::REDIRECT_URI.into(),
        scope: "user".into(),
        code_challenge: "x".into(),
        resource: app.mcp_url.clone(),
        created_at: t - 600,
        expires_at: t - 300,
        used_at: Some(t - 400),
    };
    app.store.insert_code(&code).await.unwrap();
    for row in [
        token("at-old", t - KEEP_EXPIRED_SECS - 1, None),
        token("at-recent", t - KEEP_EXPIRED_SECS + 1, None),
        token("at-live", t + 60, None),
        token("at-of-kept-code", t - KEEP_EXPIRED_SECS - 1, Some("kept-code")),
    ] {
        app.store.insert_access_token(&row).await.unwrap();
    }
    let refresh = |hash: &str, expires_at: i64| RefreshToken {
        token_hash: hash.into(),
        family_id: "f".into(),
        client_id: client.clone(),
        user_id: user.clone(),
        scope: "user".into(),
        resource: app.mcp_url.clone(),
        issued_at: expires_at - 86_400,
        expires_at,
        used_at: None,
        revoked_at: None,
        replaced_by: None,
    };
    app.store.insert_refresh_token(&refresh("rt-old", t - KEEP_EXPIRED_SECS - 1)).await.unwrap();
    app.store.insert_refresh_token(&refresh("rt-live", t + 60)).await.unwrap();

    // Sign-in throttle: forgotten after an hour without a failure.
    let policy = server::store::ThrottlePolicy { free: 5, base: 30, cap: 900 };
    app.store.throttle_reserve("user:stale", t - 3601, policy).await.unwrap();
    app.store.throttle_reserve("user:recent", t - 100, policy).await.unwrap();

    app.store.purge_expired(t, 86_400).await.unwrap();
    assert_eq!(app.store.purge_audit(t, retention).await.unwrap(), 1);

    let details: Vec<String> =
        app.store.recent_audit(100).await.unwrap().into_iter().filter_map(|r| r.detail).collect();
    assert!(
        details.contains(&"at the cut-off".to_owned()) && details.contains(&"old but repeated recently".to_owned())
    );
    assert!(!details.contains(&"old".to_owned()), "{details:?}");
    assert_eq!(left(&app, "access_tokens", "token_hash").await, "at-live,at-of-kept-code,at-recent");
    assert_eq!(left(&app, "refresh_tokens", "token_hash").await, "rt-live");
    assert_eq!(left(&app, "login_throttle", "key").await, "user:recent");

    // The client's tokens are gone once they all expired, but it did obtain some: it is not
    // taken for an unused registration by the purges after that.
    let much_later = t + 86_400;
    app.store.purge_expired(much_later, 86_400).await.unwrap();
    assert_eq!(left(&app, "access_tokens", "token_hash").await, "");
    app.store.purge_expired(much_later + 60, 86_400).await.unwrap();
    assert!(app.store.find_client(&client).await.unwrap().is_some(), "a client that obtained tokens stays");
}
