//! The whole flow without a browser: discovery → registration → authorize → login → consent →
//! token → MCP initialize / tools / resources, as the SPA does it.

use reqwest::header::WWW_AUTHENTICATE;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::challenge::BearerChallenge;
use shared::oauth::{AuthorizationServerMetadata, ProtectedResourceMetadata};

use crate::common::spawn_app;

#[tokio::test]
async fn full_flow_discovery_to_tool_call() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;

    // 1. Unauthenticated MCP request → 401 with a challenge that points at the PRM.
    let resp =
        app.mcp_post(None, None, &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}})).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = BearerChallenge::parse(resp.headers()[WWW_AUTHENTICATE].to_str().unwrap()).unwrap();
    assert_eq!(challenge.scope.as_deref(), Some("user"));
    let prm_url = challenge.resource_metadata.unwrap();
    assert_eq!(prm_url, format!("{}/.well-known/oauth-protected-resource/mcp", app.rs_url));

    // 2. Protected resource metadata names the resource and its authorization server.
    let prm: ProtectedResourceMetadata = app.http.get(&prm_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(prm.resource, app.mcp_url);
    assert_eq!(prm.authorization_servers, vec![app.as_url.clone()]);

    // 3. Authorization server metadata: exact issuer, S256 only.
    let meta_url = format!("{}/.well-known/oauth-authorization-server", app.as_url);
    let meta: AuthorizationServerMetadata = app.http.get(&meta_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta.issuer, app.as_url);
    assert_eq!(meta.code_challenge_methods_supported, vec!["S256"]);
    assert!(meta.authorization_response_iss_parameter_supported);

    // 4–6. Register, log in, consent, exchange.
    let (code, pending) = app.authorize_code("alice").await;
    let resp = app.exchange(&code, &pending).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let token: Value = resp.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["scope"], "user");
    let access = token["access_token"].as_str().unwrap();

    // The token is bound to alice, the client and the MCP server's audience.
    let info = app.introspect(access).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], alice);
    assert_eq!(info["username"], "alice");
    assert_eq!(info["client_id"], pending.client_id);
    assert_eq!(info["aud"], app.mcp_url);
    assert_eq!(info["iss"], app.as_url);

    // 7. MCP with the token.
    let session = app.mcp_session(access).await;
    let tools = app.mcp_request(access, &session, "tools/list", json!({})).await;
    let names: Vec<&str> =
        tools["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["get_user_data", "update_profile"]);

    let call = app
        .mcp_request(
            access,
            &session,
            "tools/call",
            json!({"name": "get_user_data", "arguments": {"user_id": "current"}}),
        )
        .await;
    let data = &call["result"]["structuredContent"];
    assert_eq!(data["username"], "alice");
    assert_eq!(data["user_id"], alice);
    assert_eq!(call["result"]["isError"], false);

    let profile = app.mcp_request(access, &session, "resources/read", json!({"uri": "user://profile"})).await;
    let profile: Value = serde_json::from_str(profile["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(profile["username"], "alice");
    assert_eq!(profile["email"], "alice@example.test");

    let stats = app.mcp_request(access, &session, "resources/read", json!({"uri": "user://stats"})).await;
    let stats: Value = serde_json::from_str(stats["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(stats["logins"], 1);
    assert_eq!(stats["active_tokens"], 1);
}

#[tokio::test]
async fn restart_keeps_users_clients_and_tokens() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client_id = app.register_client().await;
    let token = app.access_token("alice").await;
    // A new server on the same database file and addresses: nothing was kept only in memory.
    let app = app.restart().await;
    assert!(app.store.find_client(&client_id).await.unwrap().is_some(), "client survives a restart");
    assert_eq!(app.introspect(&token).await["active"], true, "token survives a restart");
    let session = app.mcp_session(&token).await;
    let call = app
        .mcp_request(
            &token,
            &session,
            "tools/call",
            json!({"name": "get_user_data", "arguments": {"user_id": "current"}}),
        )
        .await;
    assert_eq!(call["result"]["structuredContent"]["username"], "alice");
    // The user can still sign in with the same password and the same client.
    let (code, pending) = app.authorize_code_for(&client_id, "alice").await;
    assert_eq!(app.exchange(&code, &pending).await.status(), StatusCode::OK);
}
