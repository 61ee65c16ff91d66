//! The token endpoint under attack: codes are single-use and bound to client, redirect URI,
//! PKCE verifier and resource; replay revokes what was issued; bad requests get RFC 6749 §5.2
//! errors.

use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use shared::challenge::BearerChallenge;

use crate::common::{
    assert_oauth_error, assert_too_large, new_verifier, send_all_at_once, spawn_app, spawn_app_with, Pending, TestApp,
    RACERS, REDIRECT_URI,
};

/// The exchange of `code`, with `extra` overriding or removing (value `None`) parameters.
async fn exchange_with(app: &TestApp, code: &str, p: &Pending, extra: &[(&str, Option<&str>)]) -> Response {
    let mut form: Vec<(&str, String)> = vec![
        ("grant_type", "authorization_code".into()),
        ("code", code.into()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("client_id", p.client_id.clone()),
        ("code_verifier", p.verifier.clone()),
        ("resource", app.mcp_url.clone()),
    ];
    for (k, v) in extra {
        form.retain(|(name, _)| name != k);
        if let Some(v) = v {
            form.push((k, (*v).into()));
        }
    }
    app.http.post(format!("{}/token", app.as_url)).form(&form).send().await.unwrap()
}

async fn post_raw(app: &TestApp, content_type: &str, body: String) -> Response {
    app.http.post(format!("{}/token", app.as_url)).header(CONTENT_TYPE, content_type).body(body).send().await.unwrap()
}

async fn setup() -> TestApp {
    let app = spawn_app().await;
    app.add_user("alice").await;
    app
}

/// Asserts that the code is still good by exchanging it correctly.
async fn assert_exchange_ok(app: &TestApp, code: &str, p: &Pending) -> String {
    let resp = app.exchange(code, p).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn exchange_is_no_store_and_has_no_refresh_token() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let resp = app.exchange(&code, &p).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(resp.headers()[PRAGMA], "no-cache");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900, "short-lived: the resource server verifies JWTs locally");
    assert!(body.get("refresh_token").is_none(), "{body}");
}

#[tokio::test]
async fn replayed_code_is_refused_and_revokes_the_first_token() {
    // Introspection mode, so that the resource server sees the revocation at once.
    let app = crate::common::spawn_introspecting_app().await;
    app.add_user("alice").await;
    let (code, p) = app.authorize_code("alice").await;
    let token = assert_exchange_ok(&app, &code, &p).await;
    assert_eq!(app.introspect(&token).await["active"], true);

    let resp = app.exchange(&code, &p).await;
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-store");
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;

    assert_eq!(app.introspect(&token).await, json!({"active": false}));
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}});
    let resp = app.mcp_post(Some(&token), None, &init).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = BearerChallenge::parse(resp.headers()[WWW_AUTHENTICATE].to_str().unwrap()).unwrap();
    assert_eq!(challenge.error.as_deref(), Some("invalid_token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_exchanges_of_one_code_succeed_exactly_once() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", p.client_id.as_str()),
        ("code_verifier", p.verifier.as_str()),
        ("resource", app.mcp_url.as_str()),
    ];
    let url = format!("{}/token", app.as_url);
    let requests = (0..RACERS).map(|_| app.http.post(&url).form(&form)).collect();
    let mut issued = Vec::new();
    for resp in send_all_at_once(requests).await {
        if resp.status() == StatusCode::OK {
            issued.push(resp.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned());
        } else {
            assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
        }
    }
    assert_eq!(issued.len(), 1, "exactly one of {RACERS} simultaneous exchanges may get tokens");
    // Every other one was treated as a replay of the spent code.
    assert_eq!(replays(&app).await, RACERS - 1);
}

#[tokio::test]
async fn wrong_code_verifier_is_invalid_grant() {
    let app = setup().await;
    let client_id = app.register_client().await;
    // A well-formed verifier from another flow, a malformed one, and the challenge itself.
    let (code, p) = app.authorize_code_for(&client_id, "alice").await;
    let resp = exchange_with(&app, &code, &p, &[("code_verifier", Some(new_verifier().as_str()))]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;

    let (code, p) = app.authorize_code_for(&client_id, "alice").await;
    let resp = exchange_with(&app, &code, &p, &[("code_verifier", Some("short"))]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;

    let (code, p) = app.authorize_code_for(&client_id, "alice").await;
    let challenge = shared::pkce::challenge_s256(&p.verifier);
    let resp = exchange_with(&app, &code, &p, &[("code_verifier", Some(challenge.as_str()))]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn failed_verifier_attempt_burns_the_code() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let resp = exchange_with(&app, &code, &p, &[("code_verifier", Some(new_verifier().as_str()))]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // No second guess: the right verifier is now refused as well.
    let resp = app.exchange(&code, &p).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn missing_parameters_are_invalid_request_and_keep_the_code() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    for name in ["code_verifier", "redirect_uri", "code"] {
        let resp = exchange_with(&app, &code, &p, &[(name, None)]).await;
        assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    // A malformed request is not an attempt on the code.
    assert_exchange_ok(&app, &code, &p).await;
}

#[tokio::test]
async fn wrong_redirect_uri_is_invalid_grant() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let resp = exchange_with(&app, &code, &p, &[("redirect_uri", Some(format!("{REDIRECT_URI}/").as_str()))]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

/// How many `code_replayed` events the audit log holds.
async fn replays(app: &TestApp) -> usize {
    app.store.recent_audit(100).await.unwrap().into_iter().filter(|e| e.event == "code_replayed").count()
}

#[tokio::test]
async fn code_of_another_client_is_invalid_grant_and_stays_usable_by_its_own() {
    // Introspection mode, so that a wrongly triggered revocation would show at once.
    let app = crate::common::spawn_introspecting_app().await;
    app.add_user("alice").await;
    let (code, p) = app.authorize_code("alice").await;
    let client_b = app.register_client().await;
    // Another client holding the leaked code (with the right verifier, even) cannot spend it...
    let resp = exchange_with(&app, &code, &p, &[("client_id", Some(client_b.as_str()))]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // ...so its owner still can,
    let token = assert_exchange_ok(&app, &code, &p).await;
    // and another client presenting it after that is not a replay: nothing is revoked.
    let resp = exchange_with(&app, &code, &p, &[("client_id", Some(client_b.as_str()))]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(app.introspect(&token).await["active"], true, "a wrong client must not trigger the replay revocation");
    assert_eq!(replays(&app).await, 0);
    // The owner's own replay still revokes.
    assert_oauth_error(app.exchange(&code, &p).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(app.introspect(&token).await["active"], false);
    assert_eq!(replays(&app).await, 1);
}

#[tokio::test]
async fn unknown_or_missing_client_is_invalid_client() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let resp = exchange_with(&app, &code, &p, &[("client_id", Some("c_unknown"))]).await;
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-store");
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let resp = exchange_with(&app, &code, &p, &[("client_id", None)]).await;
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    // Client authentication happens before the code is looked at: it is still good.
    assert_exchange_ok(&app, &code, &p).await;
}

#[tokio::test]
async fn basic_client_credentials_are_refused_with_a_challenge() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &p.verifier),
        ("client_id", &p.client_id),
    ];
    let resp = app
        .http
        .post(format!("{}/token", app.as_url))
        .basic_auth(&p.client_id, Some("guessed-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let challenge = resp.headers().get(WWW_AUTHENTICATE).expect("WWW-Authenticate").to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Basic"), "{challenge}");
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let resp = app
        .http
        .post(format!("{}/token", app.as_url))
        .header(AUTHORIZATION, "Bearer x")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn unknown_code_is_invalid_grant() {
    let app = setup().await;
    let (_, p) = app.authorize_code("alice").await;
    let resp = app.exchange(&server::oauth::secrets::random_token(), &p).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn expired_code_is_invalid_grant() {
    let app = spawn_app_with(|c| c.code_ttl = 1).await;
    app.add_user("alice").await;
    let (code, p) = app.authorize_code("alice").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let resp = app.exchange(&code, &p).await;
    let description = assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(description.contains("expired"), "{description}");
}

#[tokio::test]
async fn foreign_resource_is_invalid_target() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let resp = exchange_with(&app, &code, &p, &[("resource", Some("https://evil.example/mcp"))]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_target").await;
}

#[tokio::test]
async fn other_grant_types_are_unsupported() {
    let app = setup().await;
    for grant in ["password", "client_credentials", "implicit", "urn:ietf:params:oauth:grant-type:device_code"] {
        let resp =
            app.token(&[("grant_type", grant), ("username", "alice"), ("password", "x"), ("client_id", "c")]).await;
        assert_oauth_error(resp, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    }
}

#[tokio::test]
async fn missing_grant_type_is_invalid_request() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let resp = exchange_with(&app, &code, &p, &[("grant_type", None)]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn duplicate_parameter_is_invalid_request() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let body = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", &p.client_id),
        ("code_verifier", &p.verifier),
        ("code_verifier", &new_verifier()),
    ])
    .unwrap();
    let resp = post_raw(&app, "application/x-www-form-urlencoded", body).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_exchange_ok(&app, &code, &p).await;
}

#[tokio::test]
async fn json_body_is_invalid_request() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let body = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                      "client_id": p.client_id, "code_verifier": p.verifier});
    let resp = post_raw(&app, "application/json", body.to_string()).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn oversized_form_is_413_and_keeps_the_code() {
    let app = setup().await;
    let (code, p) = app.authorize_code("alice").await;
    let padding = "a".repeat(17 * 1024);
    let resp = exchange_with(&app, &code, &p, &[("padding", Some(padding.as_str()))]).await;
    assert_too_large(resp, "/token").await;
    // The body was never read, so the code is still good.
    assert_exchange_ok(&app, &code, &p).await;
}
