//! The resource server's verified-token cache never accepts what a fresh verification would
//! refuse: a cached token is still refused once revoked (token, grant, user), once its signing key
//! is withdrawn, and once expired. Most tests drive a `Verifier` directly with a chosen `now`
//! against the test server's JWKS and revocation log, so time is controlled, not slept.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use server::mcp::denylist::{self, Denylist, Source};
use server::mcp::jwks::MAX_AGE_SECS;
use server::mcp::verifier::{Rejected, Verifier};
use tokio_util::sync::CancellationToken;

use crate::common::{claims_for, mint, refused_within, spawn_app_with, TestApp};

/// A verifier like the server's, following the test server's revocation log; stops with the test.
struct Rs {
    verifier: Verifier,
    _stop: tokio_util::sync::DropGuard,
}

async fn rs(app: &TestApp, follow_local_keys: bool) -> Rs {
    let list = Arc::new(Denylist::default());
    let source = Source::Store(app.store.clone());
    let keep = denylist::keep_secs(&app.settings);
    list.load(&source, keep).await.unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(denylist::follow(list.clone(), source, app.store.revocation_signal(), keep, stop.clone()));
    let mut verifier = Verifier::new(&app.settings, list);
    if follow_local_keys {
        verifier = verifier.following(app.keys.clone());
    }
    Rs { verifier, _stop: stop.drop_guard() }
}

async fn no_leeway_app() -> TestApp {
    let app = spawn_app_with(|c| {
        c.jwt_leeway_secs = 0;
        c.access_token_ttl = 3600;
    })
    .await;
    app.add_user("alice").await;
    app
}

fn now() -> i64 {
    server::store::now()
}

/// Verifies `token` twice at `at`: the second answer comes from the cache.
async fn cached(rs: &Rs, app: &TestApp, token: &str, at: i64) {
    for _ in 0..2 {
        rs.verifier.verify(token, &app.settings, at).await.unwrap();
    }
    assert_eq!(rs.verifier.cached_tokens(), 1);
}

fn kid_of(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

/// Asks until the verifier refuses `token` (at `at`), at most `deadline`; returns the reason.
async fn refused_by(rs: &Rs, app: &TestApp, token: &str, at: i64, deadline: Duration) -> Rejected {
    let started = Instant::now();
    loop {
        match rs.verifier.verify(token, &app.settings, at).await {
            Err(why) => return why,
            Ok(_) => assert!(started.elapsed() < deadline, "a cached token still accepted after {deadline:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_expired_cached_token_is_refused() {
    let app = no_leeway_app().await;
    let user = app.store.find_user_by_username("alice").await.unwrap().unwrap().id;
    let client = app.register_client().await;
    let t0 = now();
    let claims = server::oauth::jwt::AccessClaims { exp: t0 + 60, ..claims_for(&app, &user, &client) };
    let token = mint(&app, &claims).await;
    let rs = rs(&app, true).await;
    cached(&rs, &app, &token, t0).await;
    assert!(rs.verifier.verify(&token, &app.settings, t0 + 59).await.is_ok());
    let refused = rs.verifier.verify(&token, &app.settings, t0 + 60).await;
    assert_eq!(refused.unwrap_err(), Rejected::Invalid("the access token has expired"));
}

#[tokio::test]
async fn a_cached_token_whose_key_is_revoked_is_refused_once_the_rs_learns_it() {
    let app = no_leeway_app().await;
    let token = app.access_token("alice").await;
    let t0 = now();
    // The verifier in the AS's process follows the key ring: refused as soon as the ring drops it.
    let local = rs(&app, true).await;
    cached(&local, &app, &token, t0).await;
    // A resource server elsewhere learns it from the JWKS, at the latest when its copy is stale.
    let remote = rs(&app, false).await;
    cached(&remote, &app, &token, t0).await;

    server::cli::keys_revoke(&*app.store, &kid_of(&token)).await.unwrap();
    app.keys.reload(&*app.store, t0).await.unwrap();
    let unknown = Rejected::Invalid("the access token was signed by an unknown key");
    assert_eq!(local.verifier.verify(&token, &app.settings, t0).await.unwrap_err(), unknown);
    assert!(remote.verifier.verify(&token, &app.settings, t0 + 1).await.is_ok(), "its JWKS copy is fresh");
    assert_eq!(remote.verifier.verify(&token, &app.settings, t0 + MAX_AGE_SECS).await.unwrap_err(), unknown);
}

#[tokio::test]
async fn a_cached_token_is_refused_within_a_second_of_its_revocation() {
    let app = no_leeway_app().await;
    let rs = rs(&app, true).await;
    // One access token revoked by the client.
    let (code, pending) = app.authorize_code("alice").await;
    let tokens: serde_json::Value = app.exchange(&code, &pending).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let t0 = now();
    cached(&rs, &app, &access, t0).await;
    let form = [("token", access.as_str()), ("client_id", pending.client_id.as_str())];
    let resp = app.http.post(format!("{}/revoke", app.as_url)).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let why = refused_by(&rs, &app, &access, t0, Duration::from_secs(1)).await;
    assert_eq!(why, Rejected::Invalid("the access token has been revoked"));
}

#[tokio::test]
async fn a_disabled_users_cached_tokens_are_refused_within_a_second() {
    let app = no_leeway_app().await;
    let rs = rs(&app, true).await;
    let token = app.access_token("alice").await;
    let t0 = now();
    cached(&rs, &app, &token, t0).await;
    // At `/mcp` too: the server's own cache holds the token after a few calls.
    let session = app.mcp_session(&token).await;
    server::cli::user_disable(&*app.store, "alice").await.unwrap();
    let why = refused_by(&rs, &app, &token, t0, Duration::from_secs(1)).await;
    assert_eq!(why, Rejected::Invalid("the access token has been revoked"));
    refused_within(&app, &token, Some(&session), Duration::from_secs(1)).await;
}

#[tokio::test]
async fn only_verified_tokens_are_cached_and_a_refused_one_is_dropped() {
    let app = no_leeway_app().await;
    let rs = rs(&app, true).await;
    let t0 = now();
    assert!(rs.verifier.verify("not.a.token", &app.settings, t0).await.is_err());
    let user = app.store.find_user_by_username("alice").await.unwrap().unwrap().id;
    let client = app.register_client().await;
    let foreign = server::oauth::jwt::AccessClaims {
        aud: "https://elsewhere.example/mcp".into(),
        ..claims_for(&app, &user, &client)
    };
    assert!(rs.verifier.verify(&mint(&app, &foreign).await, &app.settings, t0).await.is_err());
    assert_eq!(rs.verifier.cached_tokens(), 0, "nothing refused is remembered");
    let claims = server::oauth::jwt::AccessClaims { exp: t0 + 10, ..claims_for(&app, &user, &client) };
    let token = mint(&app, &claims).await;
    cached(&rs, &app, &token, t0).await;
    assert!(rs.verifier.verify(&token, &app.settings, t0 + 10).await.is_err());
    assert_eq!(rs.verifier.cached_tokens(), 0, "an expired entry is dropped when refused");
}
