//! Token introspection (RFC 7662): only the resource server may ask, and inactive tokens reveal
//! nothing but `{"active":false}`.

use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};

use crate::common::{assert_oauth_error, spawn_app, spawn_app_with, TestApp};

const RS_CLIENT: &str = "mcp-resource-server";

fn request(app: &TestApp, token: &str) -> RequestBuilder {
    app.http.post(format!("{}/introspect", app.as_url)).form(&[("token", token)])
}

#[tokio::test]
async fn no_credentials_is_invalid_client() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let resp = request(&app, &token).send().await.unwrap();
    assert!(resp.headers()[WWW_AUTHENTICATE].to_str().unwrap().starts_with("Basic"));
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    // A bearer token is not a way in either, not even the token being asked about.
    let resp = request(&app, &token).header(AUTHORIZATION, format!("Bearer {token}")).send().await.unwrap();
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn wrong_credentials_are_invalid_client() {
    let app = spawn_app().await;
    let cases = [
        (RS_CLIENT.to_owned(), "wrong-secret-0123456789".to_owned()),
        (RS_CLIENT.to_owned(), format!("{}x", app.introspection_secret)),
        (RS_CLIENT.to_owned(), String::new()),
        ("someone-else".to_owned(), app.introspection_secret.clone()),
        (app.register_client().await, app.introspection_secret.clone()),
    ];
    for (user, secret) in &cases {
        let resp = request(&app, "anything").basic_auth(user, Some(secret)).send().await.unwrap();
        assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    }
}

#[tokio::test]
async fn unknown_token_is_exactly_inactive() {
    let app = spawn_app().await;
    let resp =
        request(&app, "no-such-token").basic_auth(RS_CLIENT, Some(&app.introspection_secret)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(resp.text().await.unwrap(), r#"{"active":false}"#);
}

#[tokio::test]
async fn missing_token_is_invalid_request() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(format!("{}/introspect", app.as_url))
        .basic_auth(RS_CLIENT, Some(&app.introspection_secret))
        .form(&[("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn valid_token_is_described() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let (code, pending) = app.authorize_code("alice").await;
    let resp = app.exchange(&code, &pending).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let token = resp.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let info = app.introspect(&token).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], alice);
    assert_eq!(info["aud"], app.mcp_url);
    assert_eq!(info["iss"], app.as_url);
    assert_eq!(info["scope"], "user");
    assert_eq!(info["client_id"], pending.client_id);
    assert_eq!(info["token_type"], "Bearer");
    let now = server::store::now();
    let exp = info["exp"].as_i64().unwrap();
    assert!(exp > now && exp <= now + 3600, "exp {exp} vs now {now}");
    assert!(info["iat"].as_i64().unwrap() <= now);
}

#[tokio::test]
async fn expired_token_is_inactive() {
    let app = spawn_app_with(|c| c.access_token_ttl = 1).await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let resp = request(&app, &token).basic_auth(RS_CLIENT, Some(&app.introspection_secret)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), r#"{"active":false}"#);
}

#[tokio::test]
async fn basic_scheme_is_case_insensitive() {
    use base64::Engine as _;
    let app = spawn_app().await;
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("{RS_CLIENT}:{}", app.introspection_secret));
    for scheme in ["basic", "BASIC", "Basic"] {
        let resp = request(&app, "unknown").header(AUTHORIZATION, format!("{scheme} {creds}")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "scheme {scheme}");
    }
    let resp = request(&app, "unknown").header(AUTHORIZATION, format!("Basic {creds}=garbage")).send().await.unwrap();
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

/// A server in introspection mode with `cache_secs`; alice's access token, an MCP session opened
/// with it (which put the positive answer in the cache), and that token revoked at the AS.
async fn revoked_after_caching(cache_secs: u32) -> (TestApp, String, String) {
    let app = crate::common::spawn_app_with(|c| {
        c.token_verification = server::config::Verification::Introspection;
        c.introspection_cache_secs = cache_secs;
    })
    .await;
    app.add_user("alice").await;
    let (code, pending) = app.authorize_code("alice").await;
    let tokens: Value = app.exchange(&code, &pending).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let session = app.mcp_session(&token).await;
    let form = [("token", token.as_str()), ("client_id", pending.client_id.as_str())];
    let resp = app.http.post(format!("{}/revoke", app.as_url)).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.introspect(&token).await, json!({"active": false}), "revoked at the AS");
    (app, token, session)
}

fn tools_list() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
}

#[tokio::test]
async fn after_the_cache_window_the_resource_server_sees_the_revocation() {
    let (app, token, session) = revoked_after_caching(1).await;
    // Whole seconds: the 1 s entry is gone once the clock has moved on by two.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let resp = app.mcp_post(Some(&token), Some(&session), &tools_list()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = resp.headers()[WWW_AUTHENTICATE].to_str().unwrap().to_owned();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}
