//! The revocation feed (`GET /revocations`) for resource servers deployed apart from the AS:
//! authenticated like introspection, and enough for such a resource server to refuse a revoked
//! token within its poll interval.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{assert_oauth_error, refused_within, spawn_app_with, TestApp, REDIRECT_URI};

fn basic(secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("mcp-resource-server:{secret}")))
}

async fn feed(app: &TestApp, after: &str, authorization: Option<String>) -> reqwest::Response {
    let mut req = app.http.get(format!("{}/revocations?after={after}", app.as_url));
    if let Some(a) = authorization {
        req = req.header(AUTHORIZATION, a);
    }
    req.send().await.unwrap()
}

/// Alice's tokens from a client that refreshes: (client id, token response).
async fn tokens(app: &TestApp) -> (String, Value) {
    let body = json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]});
    let client: Value = app.register(body).await.json().await.unwrap();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let (code, pending) = app.authorize_code_for(&client_id, "alice").await;
    (client_id, app.exchange(&code, &pending).await.json().await.unwrap())
}

async fn revoke(app: &TestApp, token: &str, client_id: &str) {
    let form = [("token", token), ("client_id", client_id)];
    assert_eq!(app.http.post(format!("{}/revoke", app.as_url)).form(&form).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn only_the_resource_server_may_read_the_feed() {
    let app = spawn_app_with(|_| {}).await;
    assert_oauth_error(feed(&app, "0", None).await, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let wrong = Some(basic("not-the-secret-at-all-0123"));
    assert_oauth_error(feed(&app, "0", wrong).await, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let ok = Some(basic(&app.introspection_secret));
    assert_oauth_error(feed(&app, "x", ok.clone()).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    let resp = feed(&app, "0", ok).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"revocations": []}));
}

#[tokio::test]
async fn the_feed_lists_revoked_grants_and_tokens_after_an_id() {
    let app = spawn_app_with(|_| {}).await;
    app.add_user("alice").await;
    let (client_id, first) = tokens(&app).await;
    revoke(&app, first["refresh_token"].as_str().unwrap(), &client_id).await;
    let (client_id, second) = tokens(&app).await;
    revoke(&app, second["access_token"].as_str().unwrap(), &client_id).await;
    let secret = Some(basic(&app.introspection_secret));
    let all: Value = feed(&app, "0", secret.clone()).await.json().await.unwrap();
    let entries = all["revocations"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{all}");
    assert_eq!(entries[0]["kind"], "grant");
    assert_eq!(entries[1]["kind"], "token");
    let claims = |t: &Value| -> Value {
        let payload = t["access_token"].as_str().unwrap().split('.').nth(1).unwrap().to_owned();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    };
    assert_eq!(entries[0]["value"], claims(&first)["gid"]);
    assert_eq!(entries[1]["value"], claims(&second)["jti"]);
    let first_id = entries[0]["id"].as_i64().unwrap();
    let later: Value = feed(&app, &first_id.to_string(), secret).await.json().await.unwrap();
    assert_eq!(later["revocations"].as_array().unwrap().len(), 1);
    assert_eq!(later["revocations"][0]["kind"], "token");
}

#[tokio::test]
async fn a_resource_server_with_its_own_database_refuses_a_revoked_token_within_its_poll_interval() {
    let home = spawn_app_with(|c| c.access_token_ttl = 3600).await;
    home.add_user("alice").await;
    // A second process with a database of its own, serving as the resource server for `home`:
    // the same public URLs, `home`'s keys and revocation feed.
    let (issuer, rs_url) = (home.as_url.clone(), home.rs_url.clone());
    let secret = home.introspection_secret.clone();
    let apart = spawn_app_with(move |c| {
        c.as_public_url = Some(issuer.parse().unwrap());
        c.rs_public_url = Some(rs_url.parse().unwrap());
        c.jwks_url = Some(format!("{issuer}/jwks").parse().unwrap());
        c.revocation_feed_url = Some(format!("{issuer}/revocations").parse().unwrap());
        c.revocation_poll_secs = 1;
        c.introspection_secret = Some(secret);
    })
    .await;
    let (client_id, tokens) = tokens(&home).await;
    let access = tokens["access_token"].as_str().unwrap();
    let session = apart.mcp_session(access).await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    assert_eq!(apart.mcp_post(Some(access), Some(&session), &list).await.status(), StatusCode::OK);

    revoke(&home, tokens["refresh_token"].as_str().unwrap(), &client_id).await;
    // One poll interval, plus slack for a loaded machine; the documented bound is 5 s.
    refused_within(&apart, access, Some(&session), Duration::from_secs(5)).await;
}
