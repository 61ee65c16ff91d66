//! Oversized bodies (README, "Bodies": OAuth endpoints accept 16 KiB, MCP 256 KiB; larger → 413
//! with an OAuth error body): every body-taking endpoint answers 413 with the RFC 6749 §5.2 JSON
//! shape, and nothing the oversized request named was acted on.

use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{assert_too_large, mint, new_verifier, spawn_app, TestApp, PASSWORD, REDIRECT_URI};

/// Just over the 16 KiB of the OAuth endpoints.
fn oauth_padding() -> String {
    "p".repeat(16 * 1024 + 1)
}

/// Just over the 256 KiB of the MCP endpoint.
fn mcp_padding() -> String {
    "p".repeat(256 * 1024 + 1)
}

#[tokio::test]
async fn register_413() {
    let app = spawn_app().await;
    let body = json!({"redirect_uris": [REDIRECT_URI], "client_name": "Big", "pad": oauth_padding()});
    let resp = app.register(body).await;
    assert_too_large(resp, "/register").await;
    let clients: Vec<i64> = app.sql_row("SELECT COUNT(*) FROM clients").await;
    assert_eq!(clients, [0], "nothing registered");
}

#[tokio::test]
async fn revoke_and_introspect_413() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let (code, pending) = app.authorize_code("alice").await;
    let tokens: Value = app.exchange(&code, &pending).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let pad = oauth_padding();
    let form = [("token", token), ("client_id", pending.client_id.as_str()), ("pad", pad.as_str())];
    let resp = app.http.post(format!("{}/revoke", app.as_url)).form(&form).send().await.unwrap();
    assert_too_large(resp, "/revoke").await;
    assert_eq!(app.introspect(token).await["active"], true, "the oversized revocation was not acted on");
    // Introspection checks the caller first (401 without credentials), then the body.
    let resp = app
        .http
        .post(format!("{}/introspect", app.as_url))
        .basic_auth("mcp-resource-server", Some(&app.introspection_secret))
        .form(&[("token", token), ("pad", pad.as_str())])
        .send()
        .await
        .unwrap();
    assert_too_large(resp, "/introspect").await;
}

#[tokio::test]
async fn consent_413_leaves_the_request_undecided() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
    let pad = oauth_padding();
    let fields = [("request_id", form.request_id.as_str()), ("csrf", &form.csrf), ("decision", "deny"), ("pad", &pad)];
    let resp = app.post_form("/authorize/consent", Some(&form.cookie), &fields).await;
    assert_too_large(resp, "/authorize/consent").await;
    // The oversized "deny" decided nothing: the request is still open and can be allowed.
    let resp = app.decide(&form, "allow").await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(resp.headers()["location"].to_str().unwrap().contains("code="));
}

#[tokio::test]
async fn account_forms_413() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let pad = oauth_padding();
    for path in ["/account/revoke", "/account/logout"] {
        let fields = [("csrf", form.csrf.as_str()), ("client_id", client.as_str()), ("pad", pad.as_str())];
        let resp = app.post_form(path, Some(&form.cookie), &fields).await;
        assert_too_large(resp, path).await;
    }
}

/// POST `body` to /mcp with `token`.
async fn mcp_raw(app: &TestApp, token: &str, body: String) -> reqwest::Response {
    app.http
        .post(&app.mcp_url)
        .bearer_auth(token)
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn mcp_413_whether_or_not_the_guard_reads_the_body() {
    let app = spawn_app().await;
    let user_id = app.add_user("alice").await;
    let client = app.register_client().await;
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "update_profile", "arguments": {"display_name": mcp_padding()}}});
    // A `user` token: the guard reads the body to see whether a privileged tool is called.
    let token = app.access_token("alice").await;
    assert_too_large(mcp_raw(&app, &token, call.to_string()).await, "/mcp, user token").await;
    // A token with every scope: the guard lets the body through unread to rmcp's own limit.
    let mut claims = crate::common::claims_for(&app, &user_id, &client);
    claims.scope = "user user:write".into();
    let token = mint(&app, &claims).await;
    assert_too_large(mcp_raw(&app, &token, call.to_string()).await, "/mcp, user user:write token").await;
    let name = app.store.find_user(&user_id).await.unwrap().unwrap().display_name;
    assert_eq!(name, "alice Example", "the oversized call changed nothing");
}

/// Sends an oversized chunked (no Content-Length) POST /mcp over a raw connection; returns the
/// status line and the rest of the answer.
async fn chunked_mcp_post(app: &TestApp, token: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.rs_url.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let chunk = "x".repeat(16 * 1024);
    // 17 chunks of 16 KiB: over 256 KiB. The server may answer and hang up before the end.
    for _ in 0..17 {
        if tcp.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (status, rest) = answer.split_once("\r\n").unwrap_or((&answer, ""));
    (status.to_owned(), rest.to_owned())
}

#[tokio::test]
async fn mcp_413_for_a_chunked_body_too() {
    let app = spawn_app().await;
    let user_id = app.add_user("alice").await;
    let client = app.register_client().await;
    for scope in ["user", "user user:write"] {
        let mut claims = crate::common::claims_for(&app, &user_id, &client);
        claims.scope = scope.into();
        let token = mint(&app, &claims).await;
        let (status, rest) = chunked_mcp_post(&app, &token).await;
        assert_eq!(status, "HTTP/1.1 413 Payload Too Large", "scope {scope}: {rest}");
        let lower = rest.to_ascii_lowercase();
        assert!(lower.contains("content-type: application/json"), "scope {scope}: {rest}");
        assert!(rest.contains(r#""error":"invalid_request""#), "scope {scope}: {rest}");
    }
}
