//! MCP tools and resources never cross users: the caller is whoever the access token of each
//! request names, whatever the arguments or the session say.

use serde_json::{json, Value};

use crate::common::{spawn_app, TestApp};

struct Two {
    app: TestApp,
    alice: String,
    bob: String,
    alice_token: String,
    bob_token: String,
}

async fn two_users() -> Two {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let bob = app.add_user("bob").await;
    let alice_token = app.access_token("alice").await;
    let bob_token = app.access_token("bob").await;
    Two { app, alice, bob, alice_token, bob_token }
}

async fn call_get_user_data(app: &TestApp, token: &str, session: &str, user_id: &str) -> Value {
    app.mcp_request(token, session, "tools/call", json!({"name": "get_user_data", "arguments": {"user_id": user_id}}))
        .await
}

async fn profile(app: &TestApp, token: &str, session: &str) -> Value {
    let msg = app.mcp_request(token, session, "resources/read", json!({"uri": "user://profile"})).await;
    serde_json::from_str(msg["result"]["contents"][0]["text"].as_str().unwrap_or_else(|| panic!("no contents: {msg}")))
        .unwrap()
}

#[tokio::test]
async fn get_user_data_refuses_another_users_id() {
    let t = two_users().await;
    let session = t.app.mcp_session(&t.alice_token).await;
    for target in [t.bob.as_str(), "bob"] {
        let msg = call_get_user_data(&t.app, &t.alice_token, &session, target).await;
        assert_eq!(msg["result"]["isError"], true, "{msg}");
        let text = msg["result"]["content"][0]["text"].as_str().unwrap();
        assert!(text.contains("only read your own data"), "{text}");
        assert!(msg["result"].get("structuredContent").is_none(), "{msg}");
        let raw = msg.to_string();
        assert!(!raw.contains("bob@example.test") && !raw.contains("bob Example"), "{raw}");
        if target != "bob" {
            assert!(!raw.contains(&t.bob), "bob's id must not be echoed: {raw}");
        }
    }
}

#[tokio::test]
async fn get_user_data_accepts_the_callers_own_id() {
    let t = two_users().await;
    let session = t.app.mcp_session(&t.alice_token).await;
    for target in [t.alice.as_str(), "alice", "current"] {
        let msg = call_get_user_data(&t.app, &t.alice_token, &session, target).await;
        assert_eq!(msg["result"]["isError"], false, "{msg}");
        let data = &msg["result"]["structuredContent"];
        assert_eq!(data["user_id"], t.alice);
        assert_eq!(data["username"], "alice");
    }
    // No arguments at all means the caller too.
    let msg = t
        .app
        .mcp_request(&t.alice_token, &session, "tools/call", json!({"name": "get_user_data", "arguments": {}}))
        .await;
    assert_eq!(msg["result"]["structuredContent"]["user_id"], t.alice);
}

#[tokio::test]
async fn each_user_sees_only_their_own_profile() {
    let t = two_users().await;
    let alice_session = t.app.mcp_session(&t.alice_token).await;
    let bob_session = t.app.mcp_session(&t.bob_token).await;
    let a = profile(&t.app, &t.alice_token, &alice_session).await;
    let b = profile(&t.app, &t.bob_token, &bob_session).await;
    assert_eq!(a["user_id"], t.alice);
    assert_eq!(a["username"], "alice");
    assert_eq!(a["email"], "alice@example.test");
    assert_eq!(b["user_id"], t.bob);
    assert_eq!(b["username"], "bob");
    assert_eq!(b["email"], "bob@example.test");
}

/// rmcp's `resource_not_found` (-32002) is what the service answers for a URI it does not serve
/// (`UserDataServer::resource_json`); peers on protocol 2026-07-28 or later would get -32602.
const RESOURCE_NOT_FOUND: i64 = -32002;
/// JSON-RPC "invalid params": rmcp's tool router answers an unknown tool name with it.
const INVALID_PARAMS: i64 = -32602;

#[tokio::test]
async fn unknown_resource_is_a_json_rpc_error() {
    let t = two_users().await;
    let session = t.app.mcp_session(&t.alice_token).await;
    for uri in ["user://secrets", "user://profile/../../bob", "file:///etc/passwd"] {
        let msg = t.app.mcp_request(&t.alice_token, &session, "resources/read", json!({"uri": uri})).await;
        assert!(msg.get("result").is_none(), "{msg}");
        assert_eq!(msg["error"]["code"], RESOURCE_NOT_FOUND, "{msg}");
        assert_eq!(msg["error"]["message"], format!("no resource {uri}"), "{msg}");
        assert!(!msg.to_string().contains("bob@example.test"), "{msg}");
    }
}

#[tokio::test]
async fn unknown_tool_is_an_invalid_params_error() {
    let t = two_users().await;
    let session = t.app.mcp_session(&t.alice_token).await;
    let msg = t
        .app
        .mcp_request(&t.alice_token, &session, "tools/call", json!({"name": "get_all_users", "arguments": {}}))
        .await;
    // A protocol error, not a tool result: there is no such tool to report `isError` from.
    assert!(msg.get("result").is_none(), "{msg}");
    assert_eq!(msg["error"]["code"], INVALID_PARAMS, "{msg}");
    assert_eq!(msg["error"]["message"], "tool not found", "{msg}");
    assert!(!msg.to_string().contains("bob"), "{msg}");
}

#[tokio::test]
async fn sessions_are_bound_to_the_user_who_opened_them() {
    let t = two_users().await;
    let session = t.app.mcp_session(&t.alice_token).await;
    // Bob presents alice's session id with his own valid token: the session does not exist for him.
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": "resources/read", "params": {"uri": "user://profile"}});
    let resp = t.app.mcp_post(Some(&t.bob_token), Some(&session), &body).await;
    assert_eq!(resp.status(), reqwest::StatusCode::NOT_FOUND);
    assert!(!resp.text().await.unwrap().contains("alice"));
    // Nor can he end it.
    let resp = t
        .app
        .http
        .delete(&t.app.mcp_url)
        .bearer_auth(&t.bob_token)
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::NOT_FOUND);
    // Alice's session is untouched and still hers; bob's own session gives bob.
    assert_eq!(profile(&t.app, &t.alice_token, &session).await["username"], "alice");
    let bob_session = t.app.mcp_session(&t.bob_token).await;
    let msg = call_get_user_data(&t.app, &t.bob_token, &bob_session, "current").await;
    assert_eq!(msg["result"]["structuredContent"]["user_id"], t.bob, "{msg}");
    // Without a token the session id alone gets nothing.
    let resp = t.app.mcp_post(None, Some(&session), &body).await;
    assert_eq!(resp.status(), reqwest::StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn resources_are_served_as_json() {
    let t = two_users().await;
    let session = t.app.mcp_session(&t.alice_token).await;
    let msg = t.app.mcp_request(&t.alice_token, &session, "resources/read", json!({"uri": "user://stats"})).await;
    assert_eq!(msg["result"]["contents"][0]["mimeType"], "application/json");
    let stats: Value = serde_json::from_str(msg["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(stats["user_id"], t.alice);
}

/// GET /mcp resuming `session`'s streams from `last` (SSE `Last-Event-ID`) with `token`.
async fn resume(app: &TestApp, token: &str, session: &str, last: &str) -> reqwest::Response {
    app.http
        .get(&app.mcp_url)
        .bearer_auth(token)
        .header("Accept", "text/event-stream")
        .header("Mcp-Session-Id", session)
        .header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION)
        .header("Last-Event-ID", last)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn another_user_cannot_replay_a_sessions_responses() {
    let t = two_users().await;
    let session = t.app.mcp_session(&t.alice_token).await;
    assert_eq!(profile(&t.app, &t.alice_token, &session).await["username"], "alice");
    // Bob resumes the streams of alice's session (SSE Last-Event-ID) with his own valid token:
    // the guard answers as if the session did not exist, before rmcp replays anything, and the
    // complete answer is that short body (no stream is left open).
    for last in ["0/0", "0/1", "0/2", "0"] {
        let resp = resume(&t.app, &t.bob_token, &session, last).await;
        assert_eq!(resp.status(), reqwest::StatusCode::NOT_FOUND, "Last-Event-ID {last}");
        assert_ne!(
            resp.headers().get("content-type").map(|v| v.to_str().unwrap()),
            Some("text/event-stream"),
            "Last-Event-ID {last}: no stream for bob"
        );
        let body = tokio::time::timeout(std::time::Duration::from_secs(30), resp.text()).await.unwrap().unwrap();
        assert_eq!(body, "Session not found", "Last-Event-ID {last}");
    }
    // The same session still belongs to alice.
    assert_eq!(profile(&t.app, &t.alice_token, &session).await["username"], "alice");
}

#[tokio::test]
async fn unsupported_protocol_version_is_400() {
    let t = two_users().await;
    let session = t.app.mcp_session(&t.alice_token).await;
    let body = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}});
    let resp = t
        .app
        .http
        .post(&t.app.mcp_url)
        .bearer_auth(&t.alice_token)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", "1999-01-01")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::BAD_REQUEST);
}
