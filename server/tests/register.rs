//! Dynamic client registration (RFC 7591) refusing what a public MCP client must not register.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{assert_oauth_error, spawn_app, TestApp, REDIRECT_URI};

async fn post_raw(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.http
        .post(format!("{}/register", app.as_url))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn missing_redirect_uris_is_invalid_redirect_uri() {
    let app = spawn_app().await;
    let resp = app.register(json!({"client_name": "No Redirects"})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
    let resp = app.register(json!({"redirect_uris": []})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn unsafe_redirect_uris_are_refused() {
    let app = spawn_app().await;
    for uri in [
        "http://app.example/callback",       // plain http off loopback
        "https://app.example/callback#frag", // fragment
        "/callback",                         // relative
        "javascript:alert(1)",               // script scheme
        "https://user:pw@app.example/cb",    // credentials
        "http://127.0.0.1.evil.example/cb",  // loopback look-alikes
        "http://localhost.evil.example/cb",
        "http://[::ffff:7f00:1]/cb",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
    ] {
        let resp = app.register(json!({"redirect_uris": [uri]})).await;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["error"], "invalid_redirect_uri", "{uri}: {body}");
    }
    // One bad URI among good ones spoils the whole registration.
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI, "http://evil.example/cb"]})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn too_many_redirect_uris_are_refused() {
    let app = spawn_app().await;
    let uris: Vec<String> = (0..11).map(|i| format!("http://127.0.0.1:18080/cb{i}")).collect();
    let resp = app.register(json!({"redirect_uris": uris})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn unsupported_auth_methods_are_refused() {
    let app = spawn_app().await;
    // client_secret_basic and client_secret_post are accepted (tests/client_registration.rs).
    for method in ["private_key_jwt", "client_secret_jwt", "tls_client_auth", "None", ""] {
        let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": method})).await;
        assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
}

#[tokio::test]
async fn unknown_scope_is_invalid_client_metadata() {
    let app = spawn_app().await;
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "scope": "user admin"})).await;
    let description = assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    assert!(description.contains("admin"), "{description}");
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "scope": "us\"er"})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn implicit_response_type_is_refused() {
    let app = spawn_app().await;
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "response_types": ["token"]})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "response_types": ["code", "token"]})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn grant_types_without_authorization_code_are_refused() {
    let app = spawn_app().await;
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["client_credentials"]})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn bad_client_name_and_uri_are_refused() {
    let app = spawn_app().await;
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "client_name": "Evil\nApp"})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "client_name": "x".repeat(201)})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "client_uri": "javascript:alert(1)"})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn malformed_json_is_invalid_client_metadata() {
    let app = spawn_app().await;
    let resp = post_raw(&app, "application/json", "{\"redirect_uris\": [").await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    // Well-formed JSON of the wrong shape.
    let resp = post_raw(&app, "application/json", r#"{"redirect_uris": "http://127.0.0.1:18080/callback"}"#).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn wrong_content_type_is_refused() {
    let app = spawn_app().await;
    let body = json!({"redirect_uris": [REDIRECT_URI]}).to_string();
    let resp = post_raw(&app, "text/plain", body.clone()).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let resp = post_raw(&app, "application/x-www-form-urlencoded", body).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn oversized_body_is_413_with_json_error() {
    let app = spawn_app().await;
    let body = json!({"redirect_uris": [REDIRECT_URI], "client_name": "x".repeat(17 * 1024)}).to_string();
    assert!(body.len() > 16 * 1024);
    let resp = post_raw(&app, "application/json", body).await;
    crate::common::assert_too_large(resp, "/register").await;
}

#[tokio::test]
async fn success_is_201_no_store_and_only_supported_grants() {
    let app = spawn_app().await;
    let resp = app
        .register(json!({
            "redirect_uris": [REDIRECT_URI],
            "client_name": "  Spaced Name  ",
            "grant_types": ["authorization_code", "refresh_token", "client_credentials", "refresh_token"],
            "token_endpoint_auth_method": "none",
            "scope": "user",
        }))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-store");
    let body: Value = resp.json().await.unwrap();
    let client_id = body["client_id"].as_str().unwrap();
    assert!(client_id.len() > 20, "client_id should be unguessable: {client_id}");
    assert_eq!(body["grant_types"], json!(["authorization_code", "refresh_token"]), "unsupported grants dropped");
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert_eq!(body["redirect_uris"], json!([REDIRECT_URI]));
    assert_eq!(body["client_name"], "Spaced Name");
    assert_eq!(body["scope"], "user");
    assert!(body.get("client_secret").is_none(), "public clients get no secret: {body}");
    assert!(app.store.find_client(client_id).await.unwrap().is_some());

    // Two registrations never share an id.
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI]})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let other: Value = resp.json().await.unwrap();
    assert_ne!(other["client_id"], body["client_id"]);
}

#[tokio::test]
async fn registration_floods_are_rate_limited_per_address() {
    let app = crate::common::spawn_app_with(|c| c.registrations_per_window = 3).await;
    for _ in 0..3 {
        assert_eq!(app.register(json!({"redirect_uris": [REDIRECT_URI]})).await.status(), StatusCode::CREATED);
    }
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI]})).await;
    assert!(resp.headers().get("retry-after").is_some());
    crate::common::assert_oauth_error(resp, StatusCode::TOO_MANY_REQUESTS, "temporarily_unavailable").await;
}

#[tokio::test]
async fn unused_registrations_expire_but_used_clients_stay() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let unused = app.register_client().await;
    let (code, pending) = app.authorize_code("alice").await;
    assert_eq!(app.exchange(&code, &pending).await.status(), StatusCode::OK);
    let later = server::store::now() + 2 * 86_400;
    app.store.purge_expired(later, 86_400).await.unwrap();
    assert!(app.store.find_client(&unused).await.unwrap().is_none(), "never used: deleted");
    assert!(app.store.find_client(&pending.client_id).await.unwrap().is_some(), "obtained a token: kept");
    // A fresh registration is not touched by the same purge.
    let fresh = app.register_client().await;
    app.store.purge_expired(server::store::now(), 86_400).await.unwrap();
    assert!(app.store.find_client(&fresh).await.unwrap().is_some());
}

/// An IPv6 host owns its whole /64, so the limit counts the /64: a new address in it is not a
/// new budget. Sent through a trusted proxy (loopback) naming the client in `X-Forwarded-For`.
#[tokio::test]
async fn ipv6_addresses_in_one_slash_64_share_the_registration_limit() {
    let app = crate::common::spawn_app_with(|c| {
        c.registrations_per_window = 2;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let register_from = |client: &'static str| {
        app.http
            .post(format!("{}/register", app.as_url))
            .header("x-forwarded-for", client)
            .json(&json!({"redirect_uris": [REDIRECT_URI]}))
            .send()
    };
    assert_eq!(register_from("2001:db8:1:2::1").await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(register_from("2001:db8:1:2:aaaa::2").await.unwrap().status(), StatusCode::CREATED);
    let resp = register_from("2001:db8:1:2:ffff:ffff:ffff:fffe").await.unwrap();
    assert_oauth_error(resp, StatusCode::TOO_MANY_REQUESTS, "temporarily_unavailable").await;
    // Another /64, and IPv4 clients, have budgets of their own.
    assert_eq!(register_from("2001:db8:1:3::1").await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(register_from("198.51.100.7").await.unwrap().status(), StatusCode::CREATED);
}
