//! MCP sessions outlive the process that opened them (the same path a hop to another replica
//! takes: rmcp restores the session from the shared store), for their owner only.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_continues_after_a_restart_for_its_owner_only() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    app.add_user("bob").await;
    let alice = app.access_token("alice").await;
    let bob = app.access_token("bob").await;
    let session = app.mcp_session(&alice).await;
    let app = app.restart().await;

    // The new process has never seen the session; the store tells it who opened it.
    let stranger =
        app.mcp_post(Some(&bob), Some(&session), &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND, "another user's token cannot take the session over");
    let listed = app.mcp_request(&alice, &session, "tools/list", json!({})).await;
    assert!(listed["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()), "{listed}");
    let called =
        app.mcp_request(&alice, &session, "tools/call", json!({"name": "get_user_data", "arguments": {}})).await;
    assert!(called["result"].is_object(), "{called}");
    assert!(called.to_string().contains("alice"), "the tool runs as the session's owner: {called}");

    // Still refused to the stranger once this process knows the session too.
    let stranger =
        app.mcp_post(Some(&bob), Some(&session), &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})).await;
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_is_not_restored() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let alice = app.access_token("alice").await;
    let session = app.mcp_session(&alice).await;
    let ended = app
        .http
        .delete(&app.mcp_url)
        .bearer_auth(&alice)
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION)
        .send()
        .await
        .unwrap();
    assert!(ended.status().is_success(), "{}", ended.status());
    let app = app.restart().await;
    let after =
        app.mcp_post(Some(&alice), Some(&session), &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    assert_eq!(after.status(), StatusCode::NOT_FOUND);
}
