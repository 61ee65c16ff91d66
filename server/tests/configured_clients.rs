//! Pre-registered clients from the clients file: the full flow for confidential (Basic and post)
//! and public configured clients, start refused on a bad file, exempt from the unused-client
//! purge, and ids that dynamic registration can never take.

use reqwest::header::WWW_AUTHENTICATE;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use server::config::ServeConfig;
use server::oauth::secrets::hash;
use server::store;

use crate::common::{assert_oauth_error, spawn_app_with, Pending, TestApp, REDIRECT_URI};

/// The secret of the confidential test clients; the file holds only its SHA-256.
pub const SECRET: &str = "configured-client-secret-0123456789abcdef";
pub const BASIC_CLIENT: &str = "billing-basic";
pub const POST_CLIENT: &str = "billing-post";
pub const PUBLIC_CLIENT: &str = "desk-public";

pub fn clients_file() -> Value {
    json!([
        {
            "client_id": BASIC_CLIENT,
            "client_name": "Billing (Basic)",
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "client_secret_basic",
            "client_secret_sha256": hash(SECRET),
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "user",
        },
        {
            "client_id": POST_CLIENT,
            "client_name": "Billing (post)",
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "client_secret_post",
            "client_secret_sha256": hash(SECRET).to_uppercase(),
            "application_type": "web",
        },
        {
            "client_id": PUBLIC_CLIENT,
            "client_name": "Help desk",
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
        },
    ])
}

/// A server started with `clients` as its clients file, and a user `alice`.
pub async fn spawn_with_clients(clients: &Value) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clients.json");
    std::fs::write(&path, clients.to_string()).unwrap();
    let app = spawn_app_with(|c| c.clients_file = Some(path)).await;
    app.add_user("alice").await;
    (app, dir)
}

/// POST /token with `form`, and HTTP Basic credentials when given.
pub async fn token_with(app: &TestApp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Response {
    let mut req = app.http.post(format!("{}/token", app.as_url)).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.unwrap()
}

/// The authorization-code request for `code`, with `extra` parameters (client credentials).
pub fn code_form<'a>(
    app: &'a TestApp,
    code: &'a str,
    p: &'a Pending,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", p.verifier.as_str()),
        ("resource", app.mcp_url.as_str()),
    ];
    form.extend_from_slice(extra);
    form
}

async fn assert_tokens(resp: Response, client_id: &str, app: &TestApp) -> Value {
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    let seen = app.introspect(access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["client_id"], client_id);
    body
}

#[tokio::test]
async fn configured_basic_client_completes_the_flow_and_refreshes() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let (code, p) = app.authorize_code_for(BASIC_CLIENT, "alice").await;
    let resp = token_with(&app, &code_form(&app, &code, &p, &[]), Some((BASIC_CLIENT, SECRET))).await;
    let body = assert_tokens(resp, BASIC_CLIENT, &app).await;
    // The token works at the MCP server.
    let session = app.mcp_session(body["access_token"].as_str().unwrap()).await;
    assert!(!session.is_empty());
    // Refreshing authenticates the same way.
    let refresh = body["refresh_token"].as_str().expect("refresh token").to_owned();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
    let resp = token_with(&app, &form, Some((BASIC_CLIENT, "wrong-secret-wrong-secret-wrong-secret"))).await;
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert_tokens(token_with(&app, &form, Some((BASIC_CLIENT, SECRET))).await, BASIC_CLIENT, &app).await;
}

#[tokio::test]
async fn configured_post_client_completes_the_flow() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let (code, p) = app.authorize_code_for(POST_CLIENT, "alice").await;
    let form = code_form(&app, &code, &p, &[("client_id", POST_CLIENT), ("client_secret", SECRET)]);
    let body = assert_tokens(token_with(&app, &form, None).await, POST_CLIENT, &app).await;
    assert!(body.get("refresh_token").is_none(), "it did not register the refresh_token grant: {body}");
}

#[tokio::test]
async fn configured_public_client_completes_the_flow() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let (code, p) = app.authorize_code_for(PUBLIC_CLIENT, "alice").await;
    assert_tokens(app.exchange(&code, &p).await, PUBLIC_CLIENT, &app).await;
    let stored = app.store.find_client(PUBLIC_CLIENT).await.unwrap().unwrap();
    assert!(stored.configured);
    assert_eq!(stored.client_secret_hash, None);
}

#[tokio::test]
async fn secrets_are_stored_hashed_only() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    for id in [BASIC_CLIENT, POST_CLIENT] {
        let stored = app.store.find_client(id).await.unwrap().unwrap();
        assert_eq!(stored.client_secret_hash.as_deref(), Some(hash(SECRET).as_str()), "{id}");
        assert_eq!(stored.application_type, "web");
    }
}

#[tokio::test]
async fn metadata_advertises_the_client_authentication_methods() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let meta: Value = app
        .http
        .get(format!("{}/.well-known/oauth-authorization-server", app.as_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let methods = json!(["none", "client_secret_basic", "client_secret_post"]);
    assert_eq!(meta["token_endpoint_auth_methods_supported"], methods);
    assert_eq!(meta["revocation_endpoint_auth_methods_supported"], methods);
}

/// Starts a server on `file` and returns why it refused to start.
async fn start_error(file: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clients.json");
    std::fs::write(&path, file).unwrap();
    let store = store::open(dir.path().join("test.db").to_str().unwrap()).await.unwrap();
    let cfg = ServeConfig {
        as_addr: "127.0.0.1:0".parse().unwrap(),
        rs_addr: "127.0.0.1:0".parse().unwrap(),
        clients_file: Some(path),
        ..ServeConfig::default()
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    let result = server::start(&cfg, store, shutdown.clone()).await;
    shutdown.cancel();
    match result {
        Ok(_) => panic!("the server started with a bad clients file: {file}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn bad_clients_file_refuses_to_start_naming_client_and_field() {
    let good = |extra: Value| {
        let mut entry = json!({"client_id": "ok-client", "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none"});
        entry.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!([entry]).to_string()
    };
    let cases: Vec<(String, &[&str])> = vec![
        (good(json!({"client_secret": SECRET})), &["\"ok-client\"", "client_secret:", "client_secret_env"]),
        (good(json!({"client_id": "c_lookalike"})), &["\"c_lookalike\"", "client_id:"]),
        (good(json!({"client_id": "https://app.example/client"})), &["client_id:"]),
        (good(json!({"client_id": ""})), &["client_id:"]),
        (good(json!({"redirect_uris": ["http://app.example/cb"]})), &["\"ok-client\"", "redirect_uris:"]),
        (good(json!({"redirect_uris": []})), &["redirect_uris:"]),
        (good(json!({"application_type": "desktop"})), &["application_type:"]),
        (good(json!({"token_endpoint_auth_method": "private_key_jwt"})), &["token_endpoint_auth_method:"]),
        (good(json!({"token_endpoint_auth_method": null})), &["token_endpoint_auth_method: is required"]),
        (good(json!({"scope": "user admin"})), &["scope:", "admin"]),
        (good(json!({"client_secret_sha256": hash(SECRET)})), &["client_secret_sha256:", "public client"]),
        (
            good(json!({"token_endpoint_auth_method": "client_secret_basic"})),
            &["client_secret_env:", "needs client_secret_env or client_secret_sha256"],
        ),
        (
            good(json!({"token_endpoint_auth_method": "client_secret_post", "client_secret_sha256": "abc"})),
            &["client_secret_sha256:", "64 hex"],
        ),
        (
            good(json!({"token_endpoint_auth_method": "client_secret_basic",
                "client_secret_env": "MCP_AUTH_TEST_UNSET_VARIABLE_7f3a"})),
            &["client_secret_env:", "MCP_AUTH_TEST_UNSET_VARIABLE_7f3a is not set"],
        ),
        (good(json!({"redirect_url": [REDIRECT_URI]})), &["\"ok-client\"", "unknown field `redirect_url`"]),
        ("{\"client_id\": \"x\"}".into(), &["JSON array"]),
        ("[{".into(), &["malformed JSON"]),
    ];
    for (file, expected) in cases {
        let error = start_error(&file).await;
        for part in expected {
            assert!(error.contains(part), "{part:?} missing from the error {error:?} for {file}");
        }
    }
    // Every bad entry is reported, not just the first; duplicates too.
    let entry =
        |id: &str, uri: &str| json!({"client_id": id, "redirect_uris": [uri], "token_endpoint_auth_method": "none"});
    let file = json!([
        entry("first", "ftp://x/cb"),
        entry("second", REDIRECT_URI),
        entry("second", REDIRECT_URI),
        entry("third", "http://evil.example/cb"),
    ]);
    let error = start_error(&file.to_string()).await;
    for part in ["\"first\" (entry 1): redirect_uris", "\"second\" (entry 3): client_id: appears more than once"] {
        assert!(error.contains(part), "{part:?} missing from {error:?}");
    }
    assert!(error.contains("\"third\" (entry 4): redirect_uris"), "{error}");
    // A missing file is refused too.
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(dir.path().join("t.db").to_str().unwrap()).await.unwrap();
    let cfg = ServeConfig {
        as_addr: "127.0.0.1:0".parse().unwrap(),
        rs_addr: "127.0.0.1:0".parse().unwrap(),
        clients_file: Some(dir.path().join("missing.json")),
        ..ServeConfig::default()
    };
    let err = server::start(&cfg, store, tokio_util::sync::CancellationToken::new()).await.err().expect("refused");
    assert!(err.to_string().contains("cannot read clients file"), "{err}");
}

#[tokio::test]
async fn configured_clients_survive_the_unused_client_purge() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let dynamic = app.register_client().await;
    let later = server::store::now() + 30 * 86_400;
    app.store.purge_expired(later, 86_400).await.unwrap();
    assert!(app.store.find_client(&dynamic).await.unwrap().is_none(), "unused dynamic client is purged");
    for id in [BASIC_CLIENT, POST_CLIENT, PUBLIC_CLIENT] {
        assert!(app.store.find_client(id).await.unwrap().is_some(), "{id} must survive the purge");
    }
}

#[tokio::test]
async fn registration_cannot_take_a_configured_client_id() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    // RFC 7591: the server picks the id; one in the request is ignored.
    let resp = app
        .register(json!({"client_id": BASIC_CLIENT, "redirect_uris": ["http://127.0.0.1:9/evil"],
            "token_endpoint_auth_method": "client_secret_basic"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_ne!(body["client_id"], BASIC_CLIENT);
    assert!(body["client_id"].as_str().unwrap().starts_with("c_"));
    let configured = app.store.find_client(BASIC_CLIENT).await.unwrap().unwrap();
    assert_eq!(configured.redirect_uris, vec![REDIRECT_URI.to_owned()], "untouched");
    assert_eq!(configured.client_secret_hash.as_deref(), Some(hash(SECRET).as_str()), "untouched");
    // Nor can a configured id be given to a client that registration made.
    let mut taken = app.store.find_client(body["client_id"].as_str().unwrap()).await.unwrap().unwrap();
    taken.configured = true;
    assert!(matches!(app.store.sync_configured_clients(&[taken]).await, Err(server::error::Error::Conflict)));
}

#[tokio::test]
async fn restart_applies_the_edited_file() {
    let (app, dir) = spawn_with_clients(&clients_file()).await;
    let (code, p) = app.authorize_code_for(PUBLIC_CLIENT, "alice").await;
    let access = assert_tokens(app.exchange(&code, &p).await, PUBLIC_CLIENT, &app).await;
    let access = access["access_token"].as_str().unwrap().to_owned();
    // Rotate the Basic client's secret and drop the public client.
    let new_secret = "rotated-client-secret-0123456789abcdefgh";
    let mut file = clients_file();
    file[0]["client_secret_sha256"] = json!(hash(new_secret));
    file.as_array_mut().unwrap().remove(2);
    let path = dir.path().join("clients.json");
    std::fs::write(&path, file.to_string()).unwrap();
    let (as_addr, rs_addr) = (app.as_url.replace("http://", ""), app.rs_url.replace("http://", ""));
    let db_dir = app.stop().await;
    let app = crate::common::spawn_app_in(db_dir, |c| {
        c.as_addr = as_addr.parse().unwrap();
        c.rs_addr = rs_addr.parse().unwrap();
        c.clients_file = Some(path);
    })
    .await;
    assert!(app.store.find_client(PUBLIC_CLIENT).await.unwrap().is_none(), "removed from the file: gone");
    assert_eq!(app.introspect(&access).await["active"], false, "its tokens went with it");
    let (code, p) = app.authorize_code_for(BASIC_CLIENT, "alice").await;
    let form = code_form(&app, &code, &p, &[]);
    let resp = token_with(&app, &form, Some((BASIC_CLIENT, SECRET))).await;
    assert!(resp.headers().get(WWW_AUTHENTICATE).is_some());
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert_tokens(token_with(&app, &form, Some((BASIC_CLIENT, new_secret))).await, BASIC_CLIENT, &app).await;
}
