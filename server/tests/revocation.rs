//! RFC 7009 revocation and the audit log.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{assert_oauth_error, spawn_app};

async fn revoke(app: &crate::common::TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.http.post(format!("{}/revoke", app.as_url)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn client_revokes_its_token_and_the_resource_server_refuses_it_at_once() {
    // In introspection mode the resource server sees revocation at once (JWT mode: at expiry).
    let app = crate::common::spawn_introspecting_app().await;
    app.add_user("alice").await;
    let (code, pending) = app.authorize_code("alice").await;
    let token: serde_json::Value = app.exchange(&code, &pending).await.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();
    let session = app.mcp_session(token).await;

    let resp =
        revoke(&app, &[("token", token), ("client_id", &pending.client_id), ("token_type_hint", "access_token")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.introspect(token).await, json!({"active": false}));
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let resp = app.mcp_post(Some(token), Some(&session), &call).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    let events: Vec<String> = app.store.recent_audit(20).await.unwrap().into_iter().map(|e| e.event).collect();
    for expected in ["client_registered", "authorization_granted", "token_issued", "token_revoked"] {
        assert!(events.iter().any(|e| e == expected), "audit log lacks {expected}: {events:?}");
    }
    let details: String = app.store.recent_audit(20).await.unwrap().into_iter().filter_map(|e| e.detail).collect();
    assert!(!details.contains(token), "the audit log must never contain a token");
}

#[tokio::test]
async fn another_client_cannot_revoke_a_token_and_learns_nothing() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let other = app.register_client().await;
    let resp = revoke(&app, &[("token", &token), ("client_id", &other)]).await;
    assert_eq!(resp.status(), StatusCode::OK, "same answer as for an unknown token");
    assert_eq!(app.introspect(&token).await["active"], true, "the token is still valid");
    let resp = revoke(&app, &[("token", "no-such-token"), ("client_id", &other)]).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn revocation_needs_a_known_client_and_a_token() {
    let app = spawn_app().await;
    let client = app.register_client().await;
    assert_oauth_error(revoke(&app, &[("token", "x")]).await, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert_oauth_error(
        revoke(&app, &[("token", "x"), ("client_id", "nope")]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
    assert_oauth_error(revoke(&app, &[("client_id", &client)]).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    let json_body = app.http.post(format!("{}/revoke", app.as_url)).json(&json!({"token": "x"})).send().await.unwrap();
    assert_oauth_error(json_body, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn denied_consent_and_failed_logins_are_audited() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let verifier = crate::common::new_verifier();
    let form = app.open_login(&app.authorize_url(&client, &verifier, &[])).await;
    assert_eq!(app.login(&form, "alice", "wrong password!").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&form, "alice", crate::common::PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(app.decide(&form, "deny").await.status(), StatusCode::FOUND);
    let events: Vec<String> = app.store.recent_audit(20).await.unwrap().into_iter().map(|e| e.event).collect();
    assert!(events.contains(&"login_failed".to_owned()), "{events:?}");
    assert!(events.contains(&"authorization_denied".to_owned()), "{events:?}");
    assert!(!events.contains(&"authorization_granted".to_owned()), "{events:?}");
}
