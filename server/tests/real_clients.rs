//! The MCP clients people use register and complete the flow: each recorded registration
//! (`fixtures/clients/*.json`) is replayed, then login, consent, code, token and an MCP call run
//! with every one of its redirect URIs. Private-use schemes follow RFC 8252 §7.1 plus the
//! operator's allow-list (`--private-use-schemes`, default `cursor`); PKCE stays mandatory.

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::{json, Value};
use url::Url;

use crate::common::{new_verifier, spawn_app, spawn_app_with, TestApp, PASSWORD};

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clients").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // A loopback client listens on a port of its choosing; any free-looking one will do here.
    let port = 20_000 + rand::random::<u16>() % 40_000;
    serde_json::from_str(&text.replace("{port}", &port.to_string())).unwrap()
}

async fn register(app: &TestApp, body: &Value) -> String {
    let resp = app.register(body.clone()).await;
    let status = resp.status();
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["redirect_uris"], body["redirect_uris"], "registered as sent");
    answer["client_id"].as_str().unwrap().to_owned()
}

/// Login, consent, code at `redirect_uri`, token, and a tools/list with the token.
async fn complete_flow(app: &TestApp, client_id: &str, redirect_uri: &str) {
    let verifier = new_verifier();
    let url = app.authorize_url(client_id, &verifier, &[("redirect_uri", Some(redirect_uri))]);
    let form = app.open_login(&url).await;
    let resp = app.login(&form, "alice", PASSWORD).await;
    let resp = if resp.status() == StatusCode::FOUND { resp } else { app.decide(&form, "allow").await };
    assert_eq!(resp.status(), StatusCode::FOUND, "{redirect_uri}");
    let location = resp.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{redirect_uri}?")), "{location} is not at {redirect_uri}");
    let parsed = Url::parse(&location).unwrap();
    let get = |k: &str| parsed.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    assert_eq!(get("state").as_deref(), Some("st4te"));
    assert_eq!(get("iss").as_deref(), Some(app.as_url.as_str()));
    let code = get("code").expect("code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id),
        ("code_verifier", verifier.as_str()),
        ("resource", app.mcp_url.as_str()),
    ];
    let resp = app.token(&form).await;
    assert_eq!(resp.status(), StatusCode::OK, "{redirect_uri}");
    let tokens: Value = resp.json().await.unwrap();
    assert!(tokens["refresh_token"].is_string(), "the client asked for refresh tokens");
    let access = tokens["access_token"].as_str().unwrap();
    let session = app.mcp_session(access).await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    assert_eq!(app.mcp_post(Some(access), Some(&session), &list).await.status(), StatusCode::OK);
}

async fn replay(name: &str) {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let body = fixture(name);
    let client_id = register(&app, &body).await;
    for uri in body["redirect_uris"].as_array().unwrap() {
        complete_flow(&app, &client_id, uri.as_str().unwrap()).await;
    }
}

#[tokio::test]
async fn cursor_registers_its_three_redirect_uris_and_signs_in_with_each() {
    replay("cursor.json").await;
}

#[tokio::test]
async fn vscode_registers_and_signs_in() {
    replay("vscode.json").await;
}

#[tokio::test]
async fn claude_registers_and_signs_in() {
    replay("claude.json").await;
}

#[tokio::test]
async fn chatgpt_registers_and_signs_in() {
    replay("chatgpt.json").await;
}

#[tokio::test]
async fn loopback_clients_on_a_port_of_their_choosing_register_and_sign_in() {
    replay("claude-code.json").await;
    replay("mcp-remote.json").await;
}

#[tokio::test]
async fn a_private_use_scheme_needs_the_allow_list_or_a_reverse_domain_name() {
    // Without `cursor` on the allow-list, Cursor's whole registration is refused, naming the URI.
    let app = spawn_app_with(|c| c.private_use_schemes = vec![]).await;
    let resp = app.register(fixture("cursor.json")).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_redirect_uri");
    assert!(body["error_description"].as_str().unwrap().contains("cursor://"), "{body}");
    // Another unlisted scheme stays refused with the default list, for web and native clients...
    let app = spawn_app().await;
    for application_type in ["web", "native"] {
        let body = json!({"redirect_uris": ["vscode://callback"], "application_type": application_type});
        assert_eq!(app.register(body).await.status(), StatusCode::BAD_REQUEST, "{application_type}");
    }
    // ... while a reverse-domain scheme is a native app's right (RFC 8252 §7.1).
    let body = json!({"redirect_uris": ["com.example.app:/callback"], "application_type": "native"});
    assert_eq!(app.register(body).await.status(), StatusCode::CREATED);
    // A listed scheme is matched exactly at /authorize: another path of it is not the client's.
    let client_id = register(&app, &fixture("cursor.json")).await;
    let url = app.authorize_url(
        &client_id,
        &new_verifier(),
        &[("redirect_uri", Some("cursor://anysphere.cursor-mcp/other"))],
    );
    let resp = app.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "an unregistered redirect URI gets the error page");
    assert!(resp.headers().get(LOCATION).is_none(), "never a redirect to it");
}

#[tokio::test]
async fn dangerous_schemes_cannot_be_allow_listed() {
    for scheme in ["javascript", "data", "https", "file"] {
        let cfg = server::config::ServeConfig { private_use_schemes: vec![scheme.into()], ..Default::default() };
        let e = cfg.private_use_schemes().expect_err(scheme).to_string();
        assert!(e.contains("--private-use-schemes"), "{e}");
    }
}
