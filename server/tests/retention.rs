//! `--purge-interval-secs`: the server purges expired rows on its own schedule, with no manual
//! purge call. Rows are aged by moving their stored expiry (time is controlled, not slept on);
//! only the purge schedule itself is waited for, with a generous deadline.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::common::{spawn_app_with, PASSWORD};

#[tokio::test]
async fn expired_sessions_and_pending_requests_are_purged_on_the_configured_schedule() {
    let app = spawn_app_with(|c| c.purge_interval_secs = 1).await;
    app.add_user("alice").await;
    let client_id = app.register_client().await;
    let verifier = crate::common::new_verifier();
    let form = app.open_login(&app.authorize_url(&client_id, &verifier, &[])).await;
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
    let count = "SELECT (SELECT COUNT(*) FROM auth_requests), (SELECT COUNT(*) FROM login_sessions)";
    assert_eq!(app.sql_row(count).await, vec![1, 1]);

    let past = server::store::now() - 10;
    app.sql("UPDATE auth_requests SET expires_at = ?", &[past]).await;
    app.sql("UPDATE login_sessions SET expires_at = ?", &[past]).await;
    // The default schedule (60 s) would not get there within this deadline.
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.sql_row(count).await != vec![0, 0] {
        assert!(Instant::now() < deadline, "expired rows still there: {:?}", app.sql_row(count).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn the_purge_interval_is_bounded() {
    use clap::Parser as _;
    let parse = |v: &str| server::config::Cli::try_parse_from(["server", "serve", "--purge-interval-secs", v]);
    for bad in ["0", "86401", "-1"] {
        assert!(parse(bad).is_err(), "{bad} accepted");
    }
    for good in ["1", "86400"] {
        assert!(parse(good).is_ok(), "{good} refused");
    }
    assert_eq!(server::config::ServeConfig::default().purge_interval_secs, 60);
}
