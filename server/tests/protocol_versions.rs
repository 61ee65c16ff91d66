//! The MCP protocol revisions the resource server speaks behind the same bearer guard:
//! 2026-07-28 without sessions (each request carries its protocol context in `_meta`), and
//! 2025-11-25 / 2025-06-18 with `initialize` and `Mcp-Session-Id`. Plus the DNS-rebinding
//! defences, `Host` and `Origin`, taken from configuration.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST, ORIGIN};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};

use crate::common::{claims_for, mint, spawn_app, spawn_app_with, TestApp};

const STATELESS: &str = "2026-07-28";

fn post(app: &TestApp, token: &str, version: Option<&str>, body: &Value) -> RequestBuilder {
    let mut req = app
        .http
        .post(&app.mcp_url)
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(body.to_string());
    if let Some(v) = version {
        req = req.header("MCP-Protocol-Version", v);
    }
    // 2026-07-28 (SEP-2243) repeats the method and the tool or resource name in headers so
    // that proxies can route without reading the body.
    if version == Some(STATELESS) {
        if let Some(method) = body["method"].as_str() {
            req = req.header("Mcp-Method", method);
        }
        if let Some(name) = body["params"]["name"].as_str().or(body["params"]["uri"].as_str()) {
            req = req.header("Mcp-Name", name);
        }
    }
    req
}

/// The one JSON-RPC response in a JSON or SSE body.
async fn message(resp: reqwest::Response) -> Value {
    let content_type = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = resp.text().await.unwrap();
    shared::mcp::messages_from_body(&content_type, &text)
        .into_iter()
        .find(|m| m.get("id").is_some())
        .unwrap_or_else(|| panic!("no response in {text}"))
}

fn stateless_call(id: i64, method: &str, params: Value) -> Value {
    let mut params = params;
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": STATELESS,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "it", "version": "0"},
    });
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

#[tokio::test]
async fn revision_2026_07_28_works_without_initialize_or_session() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let token = app.access_token("alice").await;

    let call = stateless_call(1, "tools/call", json!({"name": "get_user_data", "arguments": {"user_id": "current"}}));
    let resp = post(&app, &token, Some(STATELESS), &call).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("mcp-session-id").is_none(), "2026-07-28 has no sessions");
    let reply = message(resp).await;
    let text = reply["result"]["content"][0]["text"].as_str().unwrap_or_else(|| panic!("{reply}"));
    assert!(text.contains(&alice), "the caller's own data: {text}");

    let list = stateless_call(2, "tools/list", json!({}));
    let reply = message(post(&app, &token, Some(STATELESS), &list).send().await.unwrap()).await;
    assert!(reply["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()), "{reply}");

    // The bearer guard is the same for every revision.
    let anonymous = app
        .http
        .post(&app.mcp_url)
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", STATELESS)
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_2026_07_28_request_whose_header_and_meta_disagree_is_refused() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let call = stateless_call(1, "tools/list", json!({}));
    let resp = post(&app, &token, Some("2025-11-25"), &call).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body = resp.text().await.unwrap();
    assert!(body.contains("does not match"), "{body}");
}

#[tokio::test]
async fn revisions_2025_11_25_and_2025_06_18_negotiate_sessions() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    for version in ["2025-11-25", "2025-06-18"] {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "it", "version": "0"}}});
        let resp = post(&app, &token, None, &init).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{version}");
        let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
        let reply = message(resp).await;
        assert_eq!(reply["result"]["protocolVersion"], version, "the server speaks the client's revision");

        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let resp = post(&app, &token, Some(version), &note).header("Mcp-Session-Id", &session).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
        let resp = post(&app, &token, Some(version), &list).header("Mcp-Session-Id", &session).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(message(resp).await["result"]["tools"].is_array());
    }
}

#[tokio::test]
async fn host_header_must_name_this_server() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let call = stateless_call(1, "tools/list", json!({}));
    let resp = post(&app, &token, Some(STATELESS), &call).header(HOST, "evil.example").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN, "a rebinding attacker's host name is refused");
    let port = app.mcp_url.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
    let resp =
        post(&app, &token, Some(STATELESS), &call).header(HOST, format!("localhost:{port}")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_configured_public_host_and_origins_are_the_ones_allowed() {
    let app = spawn_app_with(|c| {
        c.rs_public_url = Some("https://mcp.example.com".parse().unwrap());
        c.allowed_origins = vec!["https://app.example.com".into()];
    })
    .await;
    let alice = app.add_user("alice").await;
    let client = app.register_client().await;
    let mut claims = claims_for(&app, &alice, &client);
    claims.aud = "https://mcp.example.com/mcp".into();
    let token = mint(&app, &claims).await;
    let call = stateless_call(1, "tools/list", json!({}));
    let send = |host: &str, origin: Option<&str>| {
        let mut req = post(&app, &token, Some(STATELESS), &call).header(HOST, host);
        if let Some(o) = origin {
            req = req.header(ORIGIN, o);
        }
        req.send()
    };
    // The token is for https://mcp.example.com/mcp, the configured public resource.
    assert_eq!(send("mcp.example.com", Some("https://app.example.com")).await.unwrap().status(), StatusCode::OK);
    assert_eq!(send("mcp.example.com", None).await.unwrap().status(), StatusCode::OK, "non-browser clients");
    assert_eq!(send("mcp.example.com", Some("http://127.0.0.1:18080")).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(
        send("other.example.com", Some("https://app.example.com")).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}
