//! Revocation reaches the resource server: in the default JWT mode a revoked grant or token is
//! refused at `/mcp` within a second in this process, and within two when another process (the
//! `server` CLI) revokes on the same database; nothing a racing refresh issues outlives it.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{refused_within, send_all_at_once, spawn_app, spawn_app_with, Pending, TestApp, PASSWORD};

/// Access tokens outlive every wait here, so only a revocation can explain a refusal.
const LONG_TTL: u64 = 3600;

fn tools_list() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
}

/// Opens an MCP session with `token` (so it works now) and returns the session id.
async fn still_works(app: &TestApp, token: &str) -> String {
    let session = app.mcp_session(token).await;
    assert_eq!(app.mcp_post(Some(token), Some(&session), &tools_list()).await.status(), StatusCode::OK);
    session
}

/// A client that uses refresh tokens.
async fn refreshing_client(app: &TestApp) -> String {
    let body =
        json!({"redirect_uris": [crate::common::REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]});
    let resp = app.register(body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    field(&resp.json().await.unwrap(), "client_id")
}

/// A token response for alice with a fresh client that refreshes.
async fn grant(app: &TestApp) -> (Value, Pending, String) {
    let client_id = refreshing_client(app).await;
    let (code, pending) = app.authorize_code_for(&client_id, "alice").await;
    let resp = app.exchange(&code, &pending).await;
    assert_eq!(resp.status(), StatusCode::OK);
    (resp.json().await.unwrap(), pending, code)
}

fn field(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned()
}

async fn revoke(app: &TestApp, token: &str, client_id: &str) {
    let form = [("token", token), ("client_id", client_id)];
    let resp = app.http.post(format!("{}/revoke", app.as_url)).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn refresh(app: &TestApp, refresh_token: &str, client_id: &str) -> reqwest::Response {
    app.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", client_id)]).await
}

async fn long_lived_app() -> TestApp {
    let app = spawn_app_with(|c| c.access_token_ttl = LONG_TTL).await;
    app.add_user("alice").await;
    app
}

#[tokio::test]
async fn revoking_the_refresh_token_stops_its_access_token_at_mcp_within_a_second() {
    let app = long_lived_app().await;
    let (tokens, pending, _) = grant(&app).await;
    let (access, refresh_token) = (field(&tokens, "access_token"), field(&tokens, "refresh_token"));
    let (other, _, _) = grant(&app).await;
    let session = still_works(&app, &access).await;
    revoke(&app, &refresh_token, &pending.client_id).await;
    refused_within(&app, &access, Some(&session), Duration::from_secs(1)).await;
    still_works(&app, &field(&other, "access_token")).await;
}

#[tokio::test]
async fn revoking_one_access_token_stops_only_that_token() {
    let app = long_lived_app().await;
    let (tokens, pending, _) = grant(&app).await;
    let access = field(&tokens, "access_token");
    let resp = refresh(&app, &field(&tokens, "refresh_token"), &pending.client_id).await;
    let sibling = field(&resp.json::<Value>().await.unwrap(), "access_token");
    let session = still_works(&app, &access).await;
    revoke(&app, &access, &pending.client_id).await;
    refused_within(&app, &access, Some(&session), Duration::from_secs(1)).await;
    still_works(&app, &sibling).await;
}

#[tokio::test]
async fn a_replayed_code_stops_what_its_first_exchange_issued() {
    let app = long_lived_app().await;
    let (tokens, pending, code) = grant(&app).await;
    let access = field(&tokens, "access_token");
    let session = still_works(&app, &access).await;
    assert_eq!(app.exchange(&code, &pending).await.status(), StatusCode::BAD_REQUEST);
    refused_within(&app, &access, Some(&session), Duration::from_secs(1)).await;
    let resp = refresh(&app, &field(&tokens, "refresh_token"), &pending.client_id).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "the grant can mint nothing more");
}

#[tokio::test]
async fn a_reused_refresh_token_stops_the_whole_family() {
    // No grace period: the immediate reuse below is theft, not a retry (see refresh_grace.rs).
    let app = spawn_app_with(|c| {
        c.access_token_ttl = LONG_TTL;
        c.refresh_reuse_grace_secs = 0;
    })
    .await;
    app.add_user("alice").await;
    let (tokens, pending, _) = grant(&app).await;
    let first_refresh = field(&tokens, "refresh_token");
    let rotated: Value = refresh(&app, &first_refresh, &pending.client_id).await.json().await.unwrap();
    let newest = field(&rotated, "access_token");
    let session = still_works(&app, &newest).await;
    let first = field(&tokens, "access_token");
    let first_session = still_works(&app, &first).await;
    assert_eq!(refresh(&app, &first_refresh, &pending.client_id).await.status(), StatusCode::BAD_REQUEST);
    refused_within(&app, &newest, Some(&session), Duration::from_secs(1)).await;
    refused_within(&app, &first, Some(&first_session), Duration::from_secs(1)).await;
}

#[tokio::test]
async fn in_introspection_mode_a_revocation_in_this_process_empties_the_cache() {
    let app = spawn_app_with(|c| {
        c.token_verification = server::config::Verification::Introspection;
        c.introspection_cache_secs = 600;
    })
    .await;
    app.add_user("alice").await;
    let (tokens, pending, _) = grant(&app).await;
    let access = field(&tokens, "access_token");
    let session = still_works(&app, &access).await;
    revoke(&app, &field(&tokens, "refresh_token"), &pending.client_id).await;
    refused_within(&app, &access, Some(&session), Duration::from_secs(1)).await;
}

#[tokio::test]
async fn revocations_made_before_a_restart_still_bind() {
    let app = long_lived_app().await;
    let (tokens, pending, _) = grant(&app).await;
    let access = field(&tokens, "access_token");
    revoke(&app, &field(&tokens, "refresh_token"), &pending.client_id).await;
    let app = app.restart().await;
    let resp = app.mcp_post(Some(&access), None, &tools_list()).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "refused from the first request on");
}

/// Runs the `server` CLI on the test server's database, as an operator in another process would.
fn server_cli(app: &TestApp, args: &[&str], stdin: &str) -> String {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--db")
        .arg(app.db_path())
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "server {args:?}: {text} {}", String::from_utf8_lossy(&out.stderr));
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_a_user_in_another_process_stops_their_tokens_within_two_seconds() {
    let app = long_lived_app().await;
    let (tokens, pending, _) = grant(&app).await;
    let access = field(&tokens, "access_token");
    let session = still_works(&app, &access).await;
    let said = server_cli(&app, &["user", "disable", "alice"], "");
    assert!(said.contains("disabled user alice"), "{said}");
    let took = refused_within(&app, &access, Some(&session), Duration::from_secs(2)).await;
    assert!(took <= Duration::from_secs(2), "{took:?}");
    let resp = refresh(&app, &field(&tokens, "refresh_token"), &pending.client_id).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "a disabled user's grants mint nothing");
    // Signing in is refused too.
    let form = app.open_login(&app.authorize_url(&pending.client_id, &crate::common::new_verifier(), &[])).await;
    let resp = app.login(&form, "alice", PASSWORD).await;
    assert_ne!(resp.status(), StatusCode::FOUND);
    assert!(!resp.text().await.unwrap().contains("value=\"allow\""), "no consent page for a disabled user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_ends_every_grant_and_refresh_family() {
    let app = long_lived_app().await;
    let (tokens, pending, _) = grant(&app).await;
    let access = field(&tokens, "access_token");
    let session = still_works(&app, &access).await;
    let said = server_cli(&app, &["user", "add", "alice", "--replace", "--password-stdin"], "a brand new passphrase");
    assert!(said.contains("ended their login sessions and 1 grant"), "{said}");
    refused_within(&app, &access, Some(&session), Duration::from_secs(2)).await;
    let resp = refresh(&app, &field(&tokens, "refresh_token"), &pending.client_id).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.introspect(&access).await["active"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_racing_refreshes_leaves_no_live_token() {
    const GRANTS: usize = 16;
    let app = long_lived_app().await;
    let mut grants = Vec::new();
    for _ in 0..GRANTS {
        let (tokens, pending, _) = grant(&app).await;
        grants.push((field(&tokens, "refresh_token"), pending.client_id));
    }
    // Each grant is refreshed and revoked at the same moment.
    let mut requests = Vec::new();
    for (refresh_token, client_id) in &grants {
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", client_id)];
        requests.push(app.http.post(format!("{}/token", app.as_url)).form(&form));
        let form = [("token", refresh_token.as_str()), ("client_id", client_id.as_str())];
        requests.push(app.http.post(format!("{}/revoke", app.as_url)).form(&form));
    }
    let answers = send_all_at_once(requests).await;
    let mut issued = Vec::new();
    for (i, resp) in answers.into_iter().enumerate() {
        if i % 2 == 0 && resp.status() == StatusCode::OK {
            issued.push((resp.json::<Value>().await.unwrap(), grants[i / 2].1.clone()));
        }
    }
    for (tokens, client_id) in &issued {
        // Without a session a working token gets 400, a refused one 401.
        let deadline = Instant::now() + Duration::from_secs(1);
        while app.mcp_post(Some(&field(tokens, "access_token")), None, &tools_list()).await.status()
            != StatusCode::UNAUTHORIZED
        {
            assert!(Instant::now() < deadline, "an access token issued in the race still works");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let resp = refresh(&app, &field(tokens, "refresh_token"), client_id).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "a refresh token issued in the race is dead");
        assert_eq!(app.introspect(&field(tokens, "access_token")).await["active"], false);
    }
}

#[tokio::test]
async fn an_unrevoked_grant_keeps_working_beside_revoked_ones() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let (kept, _, _) = grant(&app).await;
    let (gone, pending, _) = grant(&app).await;
    let session = still_works(&app, &field(&gone, "access_token")).await;
    revoke(&app, &field(&gone, "refresh_token"), &pending.client_id).await;
    refused_within(&app, &field(&gone, "access_token"), Some(&session), Duration::from_secs(1)).await;
    still_works(&app, &field(&kept, "access_token")).await;
}

#[tokio::test]
async fn forgetting_old_revocations_never_brings_a_token_back() {
    let app = long_lived_app().await;
    let (tokens, pending, _) = grant(&app).await;
    let refresh_token = field(&tokens, "refresh_token");
    let family = app.store.find_refresh_token(&server::oauth::secrets::hash(&refresh_token)).await.unwrap().unwrap();
    revoke(&app, &refresh_token, &pending.client_id).await;
    // A successor a racing rotation stored just after the revocation, still unmarked.
    let late = server::oauth::secrets::random_token();
    let row = server::store::RefreshToken {
        token_hash: server::oauth::secrets::hash(&late),
        used_at: None,
        revoked_at: None,
        replaced_by: None,
        issued_at: server::store::now(),
        ..family.clone()
    };
    app.store.insert_refresh_token(&row).await.unwrap();
    assert_eq!(refresh(&app, &late, &pending.client_id).await.status(), StatusCode::BAD_REQUEST, "the log refuses it");
    let now = server::store::now();
    app.store.purge_revocations(now - 10, now).await.unwrap();
    assert_eq!(app.store.revocations_after(0, 10).await.unwrap().len(), 1, "too recent to forget");
    app.store.purge_revocations(now + 10, now).await.unwrap();
    assert!(app.store.revocations_after(0, 10).await.unwrap().is_empty(), "forgotten");
    let swept = app.store.find_refresh_token(&row.token_hash).await.unwrap().unwrap();
    assert!(swept.revoked_at.is_some(), "marked revoked before its grant's row was forgotten");
    assert_eq!(refresh(&app, &late, &pending.client_id).await.status(), StatusCode::BAD_REQUEST);
}
