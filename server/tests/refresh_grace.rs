//! The refresh grace period (`--refresh-reuse-grace-secs`): a client that lost the response to a
//! rotation may retry with the old token until its successor is first used, and for at most the
//! grace; it gets a new pair and the lost one stops working. Past either boundary, reuse is
//! theft and ends the family. Time is passed in (`refresh_at`), never slept for.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use server::oauth::secrets::hash;

use crate::common::{assert_oauth_error, refused_within, send_all_at_once, spawn_app_with, TestApp, RACERS};
use crate::refresh::{refresh, refresh_at, refreshing_client, s, stored};

/// Long enough that the real clock cannot leave it during a test.
const LONG_GRACE: u64 = 300;

async fn app_with_grace(grace: u64) -> TestApp {
    spawn_app_with(|c| c.refresh_reuse_grace_secs = grace).await
}

async fn events(app: &TestApp) -> Vec<String> {
    app.store.recent_audit(100).await.unwrap().into_iter().map(|e| e.event).collect()
}

/// Whether `token` is stored neither used nor revoked.
async fn live(app: &TestApp, token: &str) -> bool {
    let t = app.store.find_refresh_token(&hash(token)).await.unwrap();
    t.is_some_and(|t| t.used_at.is_none() && t.revoked_at.is_none())
}

#[tokio::test]
async fn a_retry_within_the_grace_gets_a_new_pair_and_the_lost_one_stops() {
    let app = app_with_grace(LONG_GRACE).await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    // The rotation whose response the client never receives.
    let lost: Value = refresh(&app, &client, &r1, &[]).await.json().await.unwrap();
    let lost_session = app.mcp_session(&s(&lost, "access_token")).await;

    let resp = refresh(&app, &client, &r1, &[]).await;
    assert_eq!(resp.status(), StatusCode::OK, "a retry within the grace is answered");
    let retried: Value = resp.json().await.unwrap();
    let r3 = s(&retried, "refresh_token");
    assert_ne!(r3, s(&lost, "refresh_token"));
    assert_eq!(app.introspect(&s(&retried, "access_token")).await["active"], true);
    // The lost pair is dead, at the AS and at the RS, without ending the grant.
    assert_eq!(app.introspect(&s(&lost, "access_token")).await["active"], false);
    refused_within(&app, &s(&lost, "access_token"), Some(&lost_session), Duration::from_secs(1)).await;
    let why = assert_oauth_error(
        refresh(&app, &client, &s(&lost, "refresh_token"), &[]).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert!(why.contains("revoked"), "{why}");
    assert_eq!(app.introspect(&s(&first, "access_token")).await["active"], true, "the family lives");
    assert_eq!(refresh(&app, &client, &r3, &[]).await.status(), StatusCode::OK, "the new one works");
    let events = events(&app).await;
    assert!(events.contains(&"refresh_token_retried".to_owned()), "{events:?}");
    assert!(!events.contains(&"refresh_token_reused".to_owned()), "{events:?}");
}

#[tokio::test]
async fn a_retry_after_the_successor_was_used_revokes_the_family() {
    let app = app_with_grace(LONG_GRACE).await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let second: Value = refresh(&app, &client, &r1, &[]).await.json().await.unwrap();
    // The successor's first use closes the grace for r1, however early.
    let third: Value = refresh(&app, &client, &s(&second, "refresh_token"), &[]).await.json().await.unwrap();
    assert_oauth_error(refresh(&app, &client, &r1, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    for tokens in [&first, &second, &third] {
        assert_eq!(app.introspect(&s(tokens, "access_token")).await["active"], false, "{tokens}");
    }
    let r3 = s(&third, "refresh_token");
    assert_oauth_error(refresh(&app, &client, &r3, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(events(&app).await.contains(&"refresh_token_reused".to_owned()));
}

#[tokio::test]
async fn the_grace_ends_exactly_grace_seconds_after_the_rotation() {
    let grace = 10;
    let app = app_with_grace(grace).await;
    let grace = i64::try_from(grace).unwrap();
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let rotated_at = stored(&app, &r1).await.issued_at + 60;
    let r2 = refresh_at(&app, &client, &r1, rotated_at).await.unwrap().refresh_token.unwrap();

    // One second before the end: answered, and the grace still counts from the first rotation.
    let r3 = refresh_at(&app, &client, &r1, rotated_at + grace - 1).await.unwrap().refresh_token.unwrap();
    assert!(!live(&app, &r2).await && live(&app, &r3).await);
    // At the end: theft, though the successor is unused.
    let late = refresh_at(&app, &client, &r1, rotated_at + grace).await.unwrap_err();
    let server::error::Error::OAuth { code, description, .. } = late else { panic!("{late:?}") };
    assert_eq!(code.as_str(), "invalid_grant");
    assert!(description.contains("already used"), "{description}");
    assert!(!live(&app, &r3).await, "the family is revoked");
    assert!(app.store.grant_revoked(&stored(&app, &r1).await.family_id).await.unwrap());
}

#[tokio::test]
async fn with_no_grace_a_retry_in_the_same_second_is_theft() {
    let app = app_with_grace(0).await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let at = stored(&app, &r1).await.issued_at;
    let r2 = refresh_at(&app, &client, &r1, at).await.unwrap().refresh_token.unwrap();
    assert!(refresh_at(&app, &client, &r1, at).await.is_err());
    assert!(!live(&app, &r2).await, "the family is revoked");
    assert!(!events(&app).await.contains(&"refresh_token_retried".to_owned()));
}

/// `RACERS` presentations of `token` at once: every answer is a pair or `invalid_grant` (never a
/// 500), at least one is a pair, and exactly one refresh token of all the pairs is still live.
async fn race_presentations(app: &TestApp, client: &str, token: &str, lost: Option<&str>) {
    let form = [("grant_type", "refresh_token"), ("client_id", client), ("refresh_token", token)];
    let url = format!("{}/token", app.as_url);
    let requests = (0..RACERS).map(|_| app.http.post(&url).form(&form)).collect();
    let mut pairs = Vec::new();
    for resp in send_all_at_once(requests).await {
        if resp.status() == StatusCode::OK {
            pairs.push(resp.json::<Value>().await.unwrap());
        } else {
            assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
        }
    }
    assert!(!pairs.is_empty());
    let mut alive = Vec::new();
    for pair in &pairs {
        let active = app.introspect(&s(pair, "access_token")).await["active"] == true;
        assert_eq!(live(app, &s(pair, "refresh_token")).await, active, "a pair lives or dies whole: {pair}");
        if active {
            alive.push(s(pair, "refresh_token"));
        }
    }
    assert_eq!(alive.len(), 1, "exactly one live successor of {} pairs", pairs.len());
    if let Some(lost) = lost {
        assert!(!live(app, lost).await, "the successor the retries replaced");
    }
    let spent = stored(app, token).await;
    assert_eq!(spent.replaced_by, Some(hash(&alive[0])), "the token names the live successor");
    assert!(!events(app).await.contains(&"refresh_token_reused".to_owned()), "no theft within the grace");
    assert_eq!(refresh(app, client, &alive[0], &[]).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_retries_within_the_grace_leave_one_live_successor() {
    let app = app_with_grace(LONG_GRACE).await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let lost: Value = refresh(&app, &client, &r1, &[]).await.json().await.unwrap();
    race_presentations(&app, &client, &r1, Some(&s(&lost, "refresh_token"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_first_uses_within_the_grace_leave_one_live_successor() {
    let app = app_with_grace(LONG_GRACE).await;
    let (client, first) = refreshing_client(&app).await;
    race_presentations(&app, &client, &s(&first, "refresh_token"), None).await;
}
