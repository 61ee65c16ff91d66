//! Refresh tokens: rotation on every use, reuse detection that revokes the whole family,
//! down-scoping allowed and up-scoping refused, binding to client and resource.

use reqwest::StatusCode;
use serde_json::{json, Value};

use server::oauth::secrets::hash;
use server::store::RefreshToken;

use crate::common::{assert_oauth_error, send_all_at_once, spawn_app, TestApp, RACERS, REDIRECT_URI};

/// A client that registered for refresh tokens, and its first token response for alice.
pub async fn refreshing_client(app: &TestApp) -> (String, Value) {
    app.add_user("alice").await;
    let resp = app
        .register(json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let client_id = resp.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    let (code, pending) = app.authorize_code_for(&client_id, "alice").await;
    let resp = app.exchange(&code, &pending).await;
    assert_eq!(resp.status(), StatusCode::OK);
    (client_id, resp.json().await.unwrap())
}

pub async fn refresh(app: &TestApp, client_id: &str, token: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("client_id", client_id), ("refresh_token", token)];
    form.extend_from_slice(extra);
    app.token(&form).await
}

pub fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} missing in {v}")).to_owned()
}

#[tokio::test]
async fn refresh_rotates_and_the_new_access_token_works() {
    let app = spawn_app().await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let resp = refresh(&app, &client, &r1, &[("resource", &app.mcp_url)]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let second: Value = resp.json().await.unwrap();
    let r2 = s(&second, "refresh_token");
    assert_ne!(r1, r2, "refresh tokens rotate");
    assert_ne!(s(&first, "access_token"), s(&second, "access_token"));
    let info = app.introspect(&s(&second, "access_token")).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["aud"], app.mcp_url);
    assert_eq!(info["scope"], "user");
    let session = app.mcp_session(&s(&second, "access_token")).await;
    assert!(!session.is_empty());
    // The rotated token works once more.
    assert_eq!(refresh(&app, &client, &r2, &[]).await.status(), StatusCode::OK);
    let events: Vec<String> = app.store.recent_audit(10).await.unwrap().into_iter().map(|e| e.event).collect();
    assert_eq!(events.iter().filter(|e| *e == "token_refreshed").count(), 2, "{events:?}");
    assert_eq!(events.iter().filter(|e| *e == "token_issued").count(), 1, "{events:?}");
}

/// With `--refresh-reuse-grace-secs 0`, any reuse is theft at once (refresh_grace.rs: with one).
#[tokio::test]
async fn reusing_a_refresh_token_revokes_the_whole_family() {
    let app = crate::common::spawn_app_with(|c| c.refresh_reuse_grace_secs = 0).await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let second: Value = refresh(&app, &client, &r1, &[]).await.json().await.unwrap();
    // An attacker (or a confused client) presents r1 again.
    assert_oauth_error(refresh(&app, &client, &r1, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // Everything of the family is dead: both access tokens and the rotated refresh token.
    assert_eq!(app.introspect(&s(&first, "access_token")).await["active"], false);
    assert_eq!(app.introspect(&s(&second, "access_token")).await["active"], false);
    let r2 = s(&second, "refresh_token");
    assert_oauth_error(refresh(&app, &client, &r2, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let events: Vec<String> = app.store.recent_audit(10).await.unwrap().into_iter().map(|e| e.event).collect();
    assert!(events.contains(&"refresh_token_reused".to_owned()), "{events:?}");
}

#[tokio::test]
async fn replaying_the_code_also_revokes_refresh_tokens() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let resp = app
        .register(json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]}))
        .await;
    let client_id = resp.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    let (code, pending) = app.authorize_code_for(&client_id, "alice").await;
    let first: Value = app.exchange(&code, &pending).await.json().await.unwrap();
    let second: Value = refresh(&app, &client_id, &s(&first, "refresh_token"), &[]).await.json().await.unwrap();
    assert_oauth_error(app.exchange(&code, &pending).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(app.introspect(&s(&second, "access_token")).await["active"], false);
    let r2 = s(&second, "refresh_token");
    assert_oauth_error(refresh(&app, &client_id, &r2, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn scope_may_shrink_but_never_grow() {
    let app = spawn_app().await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    // Up-scoping is refused without consuming the token.
    assert_oauth_error(
        refresh(&app, &client, &r1, &[("scope", "user admin")]).await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    )
    .await;
    assert_oauth_error(
        refresh(&app, &client, &r1, &[("scope", "bad\"scope")]).await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    )
    .await;
    let same: Value = refresh(&app, &client, &r1, &[("scope", "user")]).await.json().await.unwrap();
    assert_eq!(same["scope"], "user");
}

#[tokio::test]
async fn refresh_tokens_are_bound_to_client_and_resource() {
    let app = spawn_app().await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let other = app.register_client().await;
    // Another client (which did not even register the grant) is refused.
    assert_oauth_error(refresh(&app, &other, &r1, &[]).await, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    let resp = app
        .register(json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]}))
        .await;
    let thief = resp.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    assert_oauth_error(refresh(&app, &thief, &r1, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let foreign = [("resource", "https://evil.example/mcp")];
    assert_oauth_error(refresh(&app, &client, &r1, &foreign).await, StatusCode::BAD_REQUEST, "invalid_target").await;
    // None of those consumed it.
    assert_eq!(refresh(&app, &client, &r1, &[]).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn clients_without_the_grant_get_no_refresh_token() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let (code, pending) = app.authorize_code("alice").await;
    let body: Value = app.exchange(&code, &pending).await.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    let resp = refresh(&app, &pending.client_id, "anything", &[]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

#[tokio::test]
async fn unknown_missing_and_expired_refresh_tokens() {
    let app = crate::common::spawn_app_with(|c| c.refresh_token_ttl = 1).await;
    let (client, first) = refreshing_client(&app).await;
    assert_oauth_error(refresh(&app, &client, "nope", &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let resp = app.token(&[("grant_type", "refresh_token"), ("client_id", &client)]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r1 = s(&first, "refresh_token");
    assert_oauth_error(refresh(&app, &client, &r1, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn revoking_the_refresh_token_ends_the_grant() {
    let app = spawn_app().await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let resp = app
        .http
        .post(format!("{}/revoke", app.as_url))
        .form(&[("token", r1.as_str()), ("token_type_hint", "refresh_token"), ("client_id", client.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.introspect(&s(&first, "access_token")).await["active"], false);
    assert_oauth_error(refresh(&app, &client, &r1, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_revoked_refresh_token_is_reported_as_revoked_not_reused() {
    let app = spawn_app().await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let form = [("token", r1.as_str()), ("client_id", client.as_str())];
    let resp = app.http.post(format!("{}/revoke", app.as_url)).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let why =
        assert_oauth_error(refresh(&app, &client, &r1, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(why.contains("revoked"), "{why}");
    let events: Vec<String> = app.store.recent_audit(10).await.unwrap().into_iter().map(|e| e.event).collect();
    assert!(!events.contains(&"refresh_token_reused".to_owned()), "{events:?}");
}

/// Without a grace period (refresh_grace.rs races with one).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_refreshes_with_one_token_rotate_exactly_once() {
    let app = crate::common::spawn_app_with(|c| c.refresh_reuse_grace_secs = 0).await;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let form = [("grant_type", "refresh_token"), ("client_id", client.as_str()), ("refresh_token", r1.as_str())];
    let url = format!("{}/token", app.as_url);
    let requests = (0..RACERS).map(|_| app.http.post(&url).form(&form)).collect();
    let mut rotated = Vec::new();
    for resp in send_all_at_once(requests).await {
        if resp.status() == StatusCode::OK {
            rotated.push(resp.json::<Value>().await.unwrap());
        } else {
            assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
        }
    }
    assert_eq!(rotated.len(), 1, "exactly one of {RACERS} simultaneous refreshes may rotate the token");
    // The others presented a spent token: the whole family is revoked, including what the one
    // successful rotation issued, whichever request finished first.
    let winner = &rotated[0];
    assert_eq!(app.introspect(&s(&first, "access_token")).await["active"], false);
    assert_eq!(app.introspect(&s(winner, "access_token")).await["active"], false);
    let r2 = s(winner, "refresh_token");
    assert_oauth_error(refresh(&app, &client, &r2, &[]).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let events: Vec<String> = app.store.recent_audit(100).await.unwrap().into_iter().map(|e| e.event).collect();
    // Reuse is detected (and audited) until the family is revoked; after that a presentation is
    // refused as revoked.
    let reused = events.iter().filter(|e| *e == "refresh_token_reused").count();
    assert!((1..RACERS).contains(&reused), "{events:?}");
    assert_eq!(events.iter().filter(|e| *e == "token_refreshed").count(), 1, "{events:?}");
}

/// The refresh grant as the token endpoint runs it, at the explicit time `now`.
pub async fn refresh_at(
    app: &TestApp,
    client_id: &str,
    token: &str,
    now: i64,
) -> Result<shared::oauth::TokenResponse, server::error::Error> {
    let keys =
        server::oauth::keys::KeyRing::load_or_create(&*app.store, now, app.settings.access_token_ttl).await.unwrap();
    let body = serde_urlencoded::to_string([
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", token),
    ])
    .unwrap();
    let form = server::oauth::params::Params::parse(body.as_bytes()).unwrap();
    let metrics = server::metrics::Metrics::default();
    let cx = server::oauth::token::TokenContext {
        store: &*app.store,
        clients: &server::oauth::clients::directory::ClientDirectory::default(),
        settings: &app.settings,
        keys: &keys,
        metrics: &metrics,
    };
    server::oauth::token::exchange(cx, &form, None, now).await
}

pub async fn stored(app: &TestApp, token: &str) -> RefreshToken {
    app.store.find_refresh_token(&hash(token)).await.unwrap().expect("stored refresh token")
}

#[tokio::test]
async fn each_rotation_restarts_the_refresh_token_lifetime() {
    let app = spawn_app().await;
    let ttl = app.settings.refresh_token_ttl;
    let (client, first) = refreshing_client(&app).await;
    let r1 = s(&first, "refresh_token");
    let original = stored(&app, &r1).await;
    assert_eq!(original.expires_at, original.issued_at + ttl);

    // Rotated late in r1's life, the new token lives a full `ttl` from the rotation...
    let rotation = original.expires_at - 100;
    let r2 = refresh_at(&app, &client, &r1, rotation).await.unwrap().refresh_token.expect("rotated token");
    let rotated = stored(&app, &r2).await;
    assert_eq!((rotated.issued_at, rotated.expires_at), (rotation, rotation + ttl));
    assert_eq!(rotated.family_id, original.family_id);

    // ...so it still works after r1's own expiry,
    let after = original.expires_at + 1;
    let r3 = refresh_at(&app, &client, &r2, after).await.unwrap().refresh_token.expect("rotated token");
    assert_eq!(stored(&app, &r3).await.expires_at, after + ttl);
    // and ends exactly `ttl` after its own rotation.
    let expired = refresh_at(&app, &client, &r3, after + ttl).await.unwrap_err();
    let server::error::Error::OAuth { code, description, .. } = expired else { panic!("{expired:?}") };
    assert_eq!(code.as_str(), "invalid_grant");
    assert!(description.contains("expired"), "{description}");
}
