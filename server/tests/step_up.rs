//! Step-up authorization (MCP "Scope Challenge Handling"): `update_profile` needs `user:write` on
//! top of `user`. A token without it gets 403 `insufficient_scope` naming every scope the call
//! needs; the client re-authorizes with the union and retries. No grant can widen its own scope.

use reqwest::header::{CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use shared::challenge::BearerChallenge;
use url::Url;

use crate::common::{assert_oauth_error, new_verifier, spawn_app, Pending, TestApp, PASSWORD, REDIRECT_URI};

const BOTH: &str = "user user:write";

fn update_call(id: u64, display_name: &Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "update_profile", "arguments": {"display_name": display_name}}})
}

/// A public client that may use refresh tokens and registered no scope (so it may ask for any).
async fn refreshing_client(app: &TestApp) -> String {
    let resp = app
        .register(json!({"redirect_uris": [REDIRECT_URI], "client_name": "Step-up Client",
                         "grant_types": ["authorization_code", "refresh_token"]}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned()
}

/// Log in as `username` asking for `scope`; returns the consent page HTML (if one was shown),
/// the code and the PKCE state.
async fn authorize(app: &TestApp, client_id: &str, username: &str, scope: &str) -> (Option<String>, String, Pending) {
    let verifier = new_verifier();
    let form = app.open_login(&app.authorize_url(client_id, &verifier, &[("scope", Some(scope))])).await;
    let resp = app.login(&form, username, PASSWORD).await;
    let (consent, resp) = if resp.status() == StatusCode::OK {
        (Some(resp.text().await.unwrap()), app.decide(&form, "allow").await)
    } else {
        (None, resp)
    };
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("code");
    (consent, code, Pending { client_id: client_id.into(), verifier, state: "st4te".into() })
}

/// The token response of a full flow for `scope`.
async fn tokens(app: &TestApp, client_id: &str, username: &str, scope: &str) -> Value {
    let (_, code, pending) = authorize(app, client_id, username, scope).await;
    let resp = app.exchange(&code, &pending).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

/// Calls `update_profile` in `session`; returns the JSON-RPC response.
async fn update_profile(app: &TestApp, token: &str, session: &str, display_name: &str) -> Value {
    let arguments = json!({"display_name": display_name});
    app.mcp_request(token, session, "tools/call", json!({"name": "update_profile", "arguments": arguments})).await
}

fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

/// Asserts the step-up answer: 403, the exact challenge and the RFC 6750 JSON body.
async fn assert_step_up_challenge(app: &TestApp, resp: Response) {
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let header = resp.headers()[WWW_AUTHENTICATE].to_str().unwrap().to_owned();
    let c = BearerChallenge::parse(&header).unwrap_or_else(|| panic!("not a Bearer challenge: {header}"));
    assert_eq!(c.error.as_deref(), Some("insufficient_scope"), "{header}");
    assert_eq!(c.scope.as_deref(), Some(BOTH), "{header}");
    let prm = format!("{}/.well-known/oauth-protected-resource/mcp", app.rs_url);
    assert_eq!(c.resource_metadata.as_deref(), Some(prm.as_str()), "{header}");
    assert!(c.error_description.is_some_and(|d| !d.is_empty()), "{header}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope", "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
}

async fn display_name(app: &TestApp, user_id: &str) -> String {
    app.store.find_user(user_id).await.unwrap().unwrap().display_name
}

#[tokio::test]
async fn user_only_token_gets_403_insufficient_scope_for_update_profile() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let session = app.mcp_session(&token).await;
    let resp = app.mcp_post(Some(&token), Some(&session), &update_call(3, &json!("Mallory"))).await;
    assert_step_up_challenge(&app, resp).await;
    assert_eq!(display_name(&app, &alice).await, "alice Example");
    // Without a session (stateless POST) the answer is the same.
    let resp = app.mcp_post(Some(&token), None, &update_call(3, &json!("Mallory"))).await;
    assert_step_up_challenge(&app, resp).await;
}

#[tokio::test]
async fn user_scope_alone_still_reads_data_and_lists_the_privileged_tool() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let session = app.mcp_session(&token).await;
    let msg = app
        .mcp_request(
            &token,
            &session,
            "tools/call",
            json!({"name": "get_user_data", "arguments": {"user_id": "current"}}),
        )
        .await;
    assert_eq!(msg["result"]["structuredContent"]["user_id"], alice, "{msg}");
    let list = app.mcp_request(&token, &session, "tools/list", json!({})).await;
    let names: Vec<&str> =
        list["result"]["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"update_profile") && names.contains(&"get_user_data"), "{names:?}");
}

#[tokio::test]
async fn with_both_scopes_update_profile_changes_the_name_everywhere() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let client = app.register_client().await;
    let got = tokens(&app, &client, "alice", BOTH).await;
    assert_eq!(got["scope"], BOTH);
    let token = access(&got);
    let session = app.mcp_session(token).await;
    let msg = update_profile(&app, token, &session, "  Alice Cooper  ").await;
    assert_eq!(msg["result"]["isError"], false, "{msg}");
    assert_eq!(msg["result"]["structuredContent"], json!({"user_id": alice, "name": "Alice Cooper"}));
    assert_eq!(display_name(&app, &alice).await, "Alice Cooper");
    let read = app.mcp_request(token, &session, "resources/read", json!({"uri": "user://profile"})).await;
    let profile: Value = serde_json::from_str(read["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(profile["name"], "Alice Cooper");
    let data = app.mcp_request(token, &session, "tools/call", json!({"name": "get_user_data", "arguments": {}})).await;
    assert_eq!(data["result"]["structuredContent"]["user_id"], alice, "{data}");
}

#[tokio::test]
async fn invalid_display_names_are_tool_errors_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let client = app.register_client().await;
    let got = tokens(&app, &client, "alice", BOTH).await;
    let token = access(&got);
    let session = app.mcp_session(token).await;
    let too_long = "x".repeat(81);
    for (bad, why) in [
        ("", "empty"),
        ("   \t ", "empty"),
        (too_long.as_str(), "at most 80"),
        ("a\u{7}b", "control"),
        ("line\nbreak", "control"),
    ] {
        let msg = update_profile(&app, token, &session, bad).await;
        assert_eq!(msg["result"]["isError"], true, "{bad:?}: {msg}");
        let text = msg["result"]["content"][0]["text"].as_str().unwrap();
        assert!(text.contains(why), "{bad:?}: {text}");
    }
    // Missing or mistyped arguments are tool errors too (rmcp's parameter check), not server failures.
    for arguments in [json!({}), json!({"display_name": 42})] {
        let msg = app
            .mcp_request(token, &session, "tools/call", json!({"name": "update_profile", "arguments": arguments}))
            .await;
        assert_eq!(msg["result"]["isError"], true, "{msg}");
        assert!(msg["result"]["content"][0]["text"].as_str().unwrap().contains("deserialize parameters"), "{msg}");
    }
    assert_eq!(display_name(&app, &alice).await, "alice Example");
    // Exactly 80 characters (not bytes) is accepted.
    let longest = "\u{e9}".repeat(80);
    let msg = update_profile(&app, token, &session, &longest).await;
    assert_eq!(msg["result"]["isError"], false, "{msg}");
    assert_eq!(display_name(&app, &alice).await, longest);
}

#[tokio::test]
async fn a_batch_or_escaped_body_with_a_privileged_call_is_403() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let session = app.mcp_session(&token).await;
    let batch = json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, update_call(2, &json!("Mallory"))]);
    let resp = app.mcp_post(Some(&token), Some(&session), &batch).await;
    assert_step_up_challenge(&app, resp).await;
    // JSON escapes do not hide the call from the guard.
    let escaped = r#"{"jsonrpc":"2.0","id":4,"method":"tools\/call","params":{"name":"update\u005fprofile","arguments":{"display_name":"M"}}}"#;
    let resp = app
        .http
        .post(&app.mcp_url)
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("Authorization", format!("Bearer {token}"))
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION)
        .body(escaped)
        .send()
        .await
        .unwrap();
    assert_step_up_challenge(&app, resp).await;
}

#[tokio::test]
async fn malformed_json_is_left_to_the_json_rpc_layer() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let session = app.mcp_session(&token).await;
    let resp = app
        .http
        .post(&app.mcp_url)
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("Authorization", format!("Bearer {token}"))
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION)
        .body(r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"update_profile""#)
        .send()
        .await
        .unwrap();
    // rmcp's own answer to a body it cannot parse (415 in rmcp 3.11), not a step-up challenge or a 500.
    let status = resp.status();
    assert!(resp.headers().get(WWW_AUTHENTICATE).is_none());
    let body = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body.contains("deserialize request body"), "{body}");
}

#[tokio::test]
async fn consent_page_names_user_write_only_when_asked() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = refreshing_client(&app).await;
    let (consent, _, _) = authorize(&app, &client, "alice", "user").await;
    let html = consent.expect("first consent");
    assert!(html.contains("<code>user</code>") && !html.contains("user:write"), "{html}");
    // The remembered consent covers `user` only: asking for more shows the consent page again.
    let (consent, _, _) = authorize(&app, &client, "alice", BOTH).await;
    let html = consent.expect("step-up needs consent again");
    assert!(html.contains("<code>user:write</code>"), "{html}");
    assert!(html.contains("change your own profile"), "{html}");
}

#[tokio::test]
async fn scopes_are_advertised_and_registrable() {
    let app = spawn_app().await;
    for url in [
        format!("{}/.well-known/oauth-authorization-server", app.as_url),
        format!("{}/.well-known/oauth-protected-resource/mcp", app.rs_url),
    ] {
        let doc: Value = app.http.get(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(doc["scopes_supported"], json!(["user", "user:write"]), "{url}");
    }
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "scope": "user:write user"})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.json::<Value>().await.unwrap()["scope"], BOTH);
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "scope": "user user:admin"})).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}

#[tokio::test]
async fn a_client_registered_for_user_only_cannot_ask_for_user_write() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI], "scope": "user"})).await;
    let client = resp.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    let url = app.authorize_url(&client, &new_verifier(), &[("scope", Some(BOTH))]);
    let resp = app.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
    let error = location.query_pairs().find(|(k, _)| k == "error").map(|(_, v)| v.into_owned());
    assert_eq!(error.as_deref(), Some("invalid_scope"), "{location}");
}

#[tokio::test]
async fn token_and_refresh_requests_cannot_widen_the_scope() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = refreshing_client(&app).await;
    // A scope parameter on the code exchange is ignored: the token carries what was consented.
    let (_, code, pending) = authorize(&app, &client, "alice", "user").await;
    let resp = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &client),
            ("code_verifier", &pending.verifier),
            ("resource", &app.mcp_url),
            ("scope", BOTH),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let got: Value = resp.json().await.unwrap();
    assert_eq!(got["scope"], "user");
    let resp = app.mcp_post(Some(access(&got)), None, &update_call(1, &json!("Mallory"))).await;
    assert_step_up_challenge(&app, resp).await;
    let refresh = got["refresh_token"].as_str().unwrap();
    let resp = app
        .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", &client), ("scope", BOTH)])
        .await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_scope").await;
    // The refused request did not spend the refresh token, and its answer is still `user` only.
    let resp = app.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", &client)]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["scope"], "user");
}

#[tokio::test]
async fn after_step_up_refreshed_tokens_keep_the_union_scope() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let client = refreshing_client(&app).await;
    let first = tokens(&app, &client, "alice", "user").await;
    let resp = app.mcp_post(Some(access(&first)), None, &update_call(1, &json!("Alice S."))).await;
    assert_step_up_challenge(&app, resp).await;
    // Re-authorize with the union of the current scope and the challenged one, as a client would.
    let stepped = tokens(&app, &client, "alice", BOTH).await;
    assert_eq!(stepped["scope"], BOTH);
    let resp = app
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", stepped["refresh_token"].as_str().unwrap()),
            ("client_id", &client),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let renewed: Value = resp.json().await.unwrap();
    assert_eq!(renewed["scope"], BOTH);
    let token = access(&renewed);
    let session = app.mcp_session(token).await;
    let msg = update_profile(&app, token, &session, "Alice S.").await;
    assert_eq!(msg["result"]["isError"], false, "{msg}");
    assert_eq!(display_name(&app, &alice).await, "Alice S.");
}

/// Defence in depth: the tool refuses by itself when something other than the bearer guard let
/// the call through. The test-only unauthenticated mount (`--conformance-unauthenticated-mcp`)
/// runs the real tools with only the endpoint's scope, so it reaches the tool's own check.
#[cfg(feature = "test-fixtures")]
#[tokio::test]
async fn the_tool_itself_refuses_without_user_write() {
    let first = spawn_app().await;
    let alice = first.add_user("alice").await;
    let app = crate::common::spawn_app_in(first.stop().await, |c| {
        c.conformance_unauthenticated_mcp = Some("alice".into());
    })
    .await;
    let url = format!("{}{}", app.rs_url, server::mcp::conformance::PATH);
    let post = |body: Value, session: Option<String>| {
        let mut req = app
            .http
            .post(&url)
            .header(CONTENT_TYPE, "application/json")
            .header("Accept", "application/json, text/event-stream")
            .body(body.to_string());
        if let Some(s) = session {
            req = req.header("Mcp-Session-Id", s).header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION);
        }
        req.send()
    };
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": shared::mcp::PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "it", "version": "0"}}});
    let resp = post(init, None).await.unwrap();
    let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(post(note, Some(session.clone())).await.unwrap().status(), StatusCode::ACCEPTED);
    let resp = post(update_call(9, &json!("Mallory")), Some(session)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    let text = resp.text().await.unwrap();
    let msg = shared::mcp::messages_from_body(&ct, &text).into_iter().find(|m| m["id"] == 9).expect("reply");
    assert_eq!(msg["result"]["isError"], true, "{msg}");
    assert!(msg["result"]["content"][0]["text"].as_str().unwrap().contains("insufficient_scope"), "{msg}");
    assert_eq!(display_name(&app, &alice).await, "alice Example");
}
