//! The TEST-ONLY unauthenticated MCP mount (`serve --conformance-unauthenticated-mcp <user>`):
//! absent unless the flag is given; with it, `/conformance/mcp` serves the real tools as that
//! one user plus the conformance fixtures, while `/mcp` stays guarded exactly as before.
//! The mount exists only in builds with the `test-fixtures` feature (`scripts/test.sh` builds
//! with it); without it the flag itself is refused (`config` unit tests).
#![cfg(feature = "test-fixtures")]

use reqwest::header::{CONTENT_TYPE, HOST, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use server::config::ServeConfig;
use server::error::Error;
use server::store;
use tokio_util::sync::CancellationToken;

use crate::common::{spawn_app, spawn_app_in, TestApp};

const PATH: &str = "/conformance/mcp";

/// A server started with the flag naming `alice` (who exists before it starts).
async fn app_with_mount() -> (TestApp, String) {
    let first = spawn_app().await;
    let alice = first.add_user("alice").await;
    let dir = first.stop().await;
    let app = spawn_app_in(dir, |c| c.conformance_unauthenticated_mcp = Some("alice".into())).await;
    (app, alice)
}

async fn post(app: &TestApp, path: &str, session: Option<&str>, body: &Value) -> Response {
    let mut req = app
        .http
        .post(format!("{}{path}", app.rs_url))
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(body.to_string());
    if let Some(s) = session {
        req = req.header("Mcp-Session-Id", s).header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION);
    }
    req.send().await.unwrap()
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": shared::mcp::PROTOCOL_VERSION, "capabilities": {},
        "clientInfo": {"name": "it", "version": "0"}}})
}

/// Opens a session on the mount without any token.
async fn session(app: &TestApp) -> String {
    let resp = post(app, PATH, None, &initialize()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let _ = resp.text().await;
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(post(app, PATH, Some(&session), &note).await.status(), StatusCode::ACCEPTED);
    session
}

async fn request(app: &TestApp, session: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let resp = post(app, PATH, Some(session), &body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let text = resp.text().await.unwrap();
    shared::mcp::messages_from_body(&ct, &text).into_iter().find(|m| m["id"] == 7).expect("response message")
}

#[tokio::test]
async fn conformance_mount_is_not_routed_by_default() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let resp = post(&app, PATH, None, &initialize()).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let resp = app.http.request(method, format!("{}{PATH}", app.rs_url)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }
    // Nor on the authorization server's listener.
    let resp = app.http.post(format!("{}{PATH}", app.as_url)).json(&initialize()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn conformance_mount_serves_the_real_tools_as_the_configured_user_without_a_token() {
    let (app, alice) = app_with_mount().await;
    let session = session(&app).await;
    let msg = request(&app, &session, "tools/call", json!({"name": "get_user_data", "arguments": {}})).await;
    assert_eq!(msg["result"]["isError"], false, "{msg}");
    assert_eq!(msg["result"]["structuredContent"]["user_id"], alice.as_str(), "{msg}");
    assert_eq!(msg["result"]["structuredContent"]["username"], "alice", "{msg}");

    let tools = request(&app, &session, "tools/list", json!({})).await;
    let names: Vec<&str> =
        tools["result"]["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"get_user_data") && names.contains(&"test_simple_text"), "{names:?}");
}

#[tokio::test]
async fn conformance_mount_serves_fixtures_and_refuses_unknown_ones() {
    let (app, _) = app_with_mount().await;
    let session = session(&app).await;
    let msg = request(&app, &session, "tools/call", json!({"name": "test_simple_text", "arguments": {}})).await;
    assert_eq!(msg["result"]["content"][0]["text"], "This is a simple text response for testing.", "{msg}");
    let msg = request(&app, &session, "resources/read", json!({"uri": "test://template/42/data"})).await;
    let body: Value = serde_json::from_str(msg["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(body["id"], "42");
    let msg = request(&app, &session, "resources/read", json!({"uri": "test://nope"})).await;
    assert_eq!(msg["error"]["code"], -32002, "resource not found: {msg}");
    let msg = request(&app, &session, "prompts/get", json!({"name": "no_such_prompt"})).await;
    assert_eq!(msg["error"]["code"], -32602, "invalid params: {msg}");
}

#[tokio::test]
async fn conformance_mount_keeps_the_host_check() {
    let (app, _) = app_with_mount().await;
    let resp = app
        .http
        .post(format!("{}{PATH}", app.rs_url))
        .header(HOST, "evil.example")
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(initialize().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn conformance_flag_leaves_mcp_guarded() {
    let (app, _) = app_with_mount().await;
    let resp = post(&app, "/mcp", None, &initialize()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers()[WWW_AUTHENTICATE].to_str().unwrap().starts_with("Bearer "));
    let resp = app
        .http
        .post(format!("{}/mcp", app.rs_url))
        .bearer_auth("not-a-token")
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(initialize().to_string())
        .send()
        .await
        .unwrap();
    crate::common::assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn conformance_flag_naming_an_unknown_user_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(dir.path().join("test.db").to_str().unwrap()).await.unwrap();
    let cfg = ServeConfig {
        as_addr: "127.0.0.1:0".parse().unwrap(),
        rs_addr: "127.0.0.1:0".parse().unwrap(),
        conformance_unauthenticated_mcp: Some("nobody".into()),
        ..ServeConfig::default()
    };
    match server::start(&cfg, store, CancellationToken::new()).await {
        Err(Error::Config(why)) => assert!(why.contains("nobody"), "{why}"),
        Err(other) => panic!("expected a configuration error, got {other:?}"),
        Ok(_) => panic!("the server must not start with an unknown conformance user"),
    }
}
