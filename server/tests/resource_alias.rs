//! RFC 8707 resource canonicalisation: `…/mcp/` names the same resource as `…/mcp` at
//! /authorize and /token (tokens carry the canonical `aud`), the RS serves `…/mcp/` behind the
//! same guard, and every other path, origin, query or fragment is still refused.

use reqwest::header::{LOCATION, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use url::Url;

use crate::common::{assert_oauth_error, new_verifier, spawn_app, Pending, TestApp, PASSWORD, REDIRECT_URI};
use crate::refresh::{refresh, s};

/// The whole authorization with `resource` at /authorize and /token; the token response.
async fn authorize_for(app: &TestApp, client_id: &str, resource: &str) -> Value {
    let verifier = new_verifier();
    let url = app.authorize_url(client_id, &verifier, &[("resource", Some(resource))]);
    let form = app.open_login(&url).await;
    let resp = app.login(&form, "alice", PASSWORD).await;
    let resp = if resp.status() == StatusCode::FOUND { resp } else { app.decide(&form, "allow").await };
    let location = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").expect("a code").1.into_owned();
    let p = Pending { client_id: client_id.into(), verifier, state: String::new() };
    let resp = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &p.client_id),
            ("code_verifier", &p.verifier),
            ("resource", resource),
        ])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn refreshing_client(app: &TestApp) -> String {
    app.add_user("alice").await;
    let resp = app
        .register(json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]}))
        .await;
    resp.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_trailing_slash_names_the_mcp_resource_and_the_rs_serves_it() {
    let app = spawn_app().await;
    let client = refreshing_client(&app).await;
    let slashed = format!("{}/", app.mcp_url);
    let tokens = authorize_for(&app, &client, &slashed).await;
    let access = s(&tokens, "access_token");
    assert_eq!(app.introspect(&access).await["aud"], app.mcp_url, "the canonical resource is the audience");
    let refreshed = refresh(&app, &client, &s(&tokens, "refresh_token"), &[("resource", &slashed)]).await;
    assert_eq!(refreshed.status(), StatusCode::OK);

    // A client that named `…/mcp/` sends its requests there: same guard, same service.
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": shared::mcp::PROTOCOL_VERSION, "capabilities": {},
        "clientInfo": {"name": "it", "version": "0"}}});
    let post = |token: Option<&str>| {
        let req = app
            .http
            .post(&slashed)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .body(init.to_string());
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    };
    let refused = post(None).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let challenge = refused.headers()[WWW_AUTHENTICATE].to_str().unwrap().to_owned();
    assert!(challenge.contains("resource_metadata="), "{challenge}");
    let bad = post(Some("not-a-token")).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let served = post(Some(&access)).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert!(served.headers().get("mcp-session-id").is_some());
}

#[tokio::test]
async fn other_paths_origins_queries_and_fragments_are_still_refused() {
    let app = spawn_app().await;
    let client = refreshing_client(&app).await;
    let (rs, mcp) = (app.rs_url.clone(), app.mcp_url.clone());
    let other_port = {
        let mut u = Url::parse(&mcp).unwrap();
        u.set_port(Some(u.port().unwrap().wrapping_add(1).max(1))).unwrap();
        u.to_string()
    };
    let others = [
        format!("{rs}/mcp2"),
        format!("{mcp}/x"),
        format!("{mcp}//"),
        format!("{rs}/MCP"),
        format!("{mcp}?x=1"),
        format!("{mcp}/#f"),
        format!("{mcp}#f"),
        rs.clone(),
        mcp.replace("127.0.0.1", "localhost"),
        other_port,
    ];
    let tokens = authorize_for(&app, &client, &mcp).await;
    let r1 = s(&tokens, "refresh_token");
    for other in &others {
        let url = app.authorize_url(&client, &new_verifier(), &[("resource", Some(other))]);
        let resp = app.http.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND, "{other}");
        let location = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
        let error = location.query_pairs().find(|(k, _)| k == "error").map(|(_, v)| v.into_owned());
        assert_eq!(error.as_deref(), Some("invalid_target"), "{other}");
        // At /token (on a refresh, which checks before spending the token).
        let resp = refresh(&app, &client, &r1, &[("resource", other)]).await;
        assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_target").await;
    }
    assert_eq!(refresh(&app, &client, &r1, &[]).await.status(), StatusCode::OK, "none spent the token");
    // Only `/mcp/` is served besides `/mcp`.
    let resp = app.http.post(format!("{mcp}/x")).body("{}").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
