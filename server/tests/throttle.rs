//! Per-account sign-in throttling: after five failures for a username (existing or not) each
//! further failure doubles a lock-out window, during which even the right password is refused
//! with the same answer for real and unknown accounts.

use reqwest::StatusCode;

use crate::common::{new_verifier, spawn_app, TestApp, PASSWORD};

async fn fail_five_times(app: &TestApp, client: &str, username: &str) {
    for _ in 0..5 {
        // A new request each time: the per-request limit is not what is tested here.
        let form = app.open_login(&app.authorize_url(client, &new_verifier(), &[])).await;
        assert_eq!(app.login(&form, username, "wrong password!").await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn an_account_under_attack_is_locked_for_a_while_whatever_the_password() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    fail_five_times(&app, &client, "alice").await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let resp = app.login(&form, "Alice", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "usernames are throttled case-insensitively");
    let html = resp.text().await.unwrap();
    assert!(html.contains("Too many failed sign-in attempts"), "{html}");
    assert!(!html.contains("value=\"allow\""), "no consent page while locked");
    // Another account is not affected.
    app.add_user("bob").await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    assert_eq!(app.login(&form, "bob", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_and_existing_accounts_are_throttled_alike() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    fail_five_times(&app, &client, "alice").await;
    fail_five_times(&app, &client, "nobody").await;
    let mut answers = Vec::new();
    for user in ["alice", "nobody"] {
        let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
        let resp = app.login(&form, user, "wrong password!").await;
        let status = resp.status();
        let text = resp.text().await.unwrap().replace(&form.request_id, "").replace(user, "");
        answers.push((status, text.contains("Too many failed sign-in attempts")));
    }
    assert_eq!(answers[0], (StatusCode::TOO_MANY_REQUESTS, true));
    assert_eq!(answers[0], answers[1], "no enumeration through the throttle");
}
