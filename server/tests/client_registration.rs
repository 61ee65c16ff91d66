//! Dynamic registration of confidential clients (a secret returned once, stored hashed) and of
//! `web` / `native` applications with their redirect URI rules (OIDC Registration §2, RFC 8252).

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::oauth::secrets::hash;

use crate::common::{assert_oauth_error, new_verifier, spawn_app, TestApp, REDIRECT_URI};
use crate::configured_clients::{code_form, token_with};

async fn registered(app: &TestApp, body: Value) -> Value {
    let resp = app.register(body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn confidential_registration_gets_a_secret_once_and_can_use_it() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let body = registered(
        &app,
        json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"]}),
    )
    .await;
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["application_type"], "web");
    assert_eq!(body["client_secret_expires_at"], 0);
    let client_id = body["client_id"].as_str().unwrap();
    let secret = body["client_secret"].as_str().expect("a secret for a confidential client");
    assert!(secret.len() >= 43, "a 256-bit secret: {secret}");
    let stored = app.store.find_client(client_id).await.unwrap().unwrap();
    assert_eq!(stored.client_secret_hash.as_deref(), Some(hash(secret).as_str()), "only the hash is stored");
    assert!(!stored.configured);

    let (code, p) = app.authorize_code_for(client_id, "alice").await;
    let form = code_form(&app, &code, &p, &[]);
    let resp = token_with(&app, &form, Some((client_id, "guess"))).await;
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let resp = token_with(&app, &code_form(&app, &code, &p, &[("client_id", client_id)]), None).await;
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let resp = token_with(&app, &form, Some((client_id, secret))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let tokens: Value = resp.json().await.unwrap();
    assert_eq!(app.introspect(tokens["access_token"].as_str().unwrap()).await["client_id"], client_id);

    // client_secret_post works through the body.
    let body =
        registered(&app, json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "client_secret_post"}))
            .await;
    let (client_id, secret) = (body["client_id"].as_str().unwrap(), body["client_secret"].as_str().unwrap());
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_post");
    let (code, p) = app.authorize_code_for(client_id, "alice").await;
    let form = code_form(&app, &code, &p, &[("client_id", client_id), ("client_secret", secret)]);
    assert_eq!(token_with(&app, &form, None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn public_registration_gets_no_secret_and_defaults_to_web() {
    let app = spawn_app().await;
    let body = registered(&app, json!({"redirect_uris": [REDIRECT_URI]})).await;
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert_eq!(body["application_type"], "web");
    assert!(body.get("client_secret").is_none() && body.get("client_secret_expires_at").is_none(), "{body}");
    let stored = app.store.find_client(body["client_id"].as_str().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.client_secret_hash, None);
}

#[tokio::test]
async fn native_application_with_a_private_scheme_completes_the_flow() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let custom = "com.example.mcpclient:/oauth/callback";
    let body = registered(
        &app,
        json!({"application_type": "native", "redirect_uris": [custom, "http://127.0.0.1/callback",
            "http://[::1]/callback", "http://localhost/cb", "https://app.example/cb"]}),
    )
    .await;
    assert_eq!(body["application_type"], "native");
    let client_id = body["client_id"].as_str().unwrap();
    assert_eq!(app.store.find_client(client_id).await.unwrap().unwrap().application_type, "native");

    let verifier = new_verifier();
    let form = app.open_login(&app.authorize_url(client_id, &verifier, &[("redirect_uri", Some(custom))])).await;
    assert_eq!(app.login(&form, "alice", crate::common::PASSWORD).await.status(), StatusCode::OK);
    let resp = app.decide(&form, "allow").await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{custom}?")), "{location}");
    let url = url::Url::parse(&location).unwrap();
    let code = url.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("code");
    let resp = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", custom),
            ("client_id", client_id),
            ("code_verifier", &verifier),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn redirect_uris_follow_the_application_type() {
    let app = spawn_app().await;
    // A web application may not use a private-use scheme; a native one needs a dotted one.
    for (application_type, uri) in [
        (None, "com.example.app:/callback"),
        (Some("web"), "com.example.app:/callback"),
        (Some("native"), "myapp:/callback"),
        (Some("native"), "javascript:alert(1)"),
        (Some("native"), "http://app.example/callback"),
        (Some("native"), "com.example.app:/callback#frag"),
        (Some("web"), "http://app.example/callback"),
    ] {
        let mut body = json!({"redirect_uris": [uri]});
        if let Some(t) = application_type {
            body["application_type"] = json!(t);
        }
        let resp = app.register(body).await;
        let description = assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
        assert!(description.contains(uri), "{application_type:?} {uri}: {description}");
    }
    // Both types accept https and loopback http.
    for t in ["web", "native"] {
        let body = registered(
            &app,
            json!({"application_type": t, "redirect_uris": [REDIRECT_URI,
            "https://app.example/cb"]}),
        )
        .await;
        assert_eq!(body["application_type"], t);
    }
}

#[tokio::test]
async fn unknown_application_type_is_invalid_client_metadata() {
    let app = spawn_app().await;
    for t in [json!("desktop"), json!("Native"), json!(""), json!(7), json!(["web"])] {
        let resp = app.register(json!({"application_type": t, "redirect_uris": [REDIRECT_URI]})).await;
        assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
}
