//! Signing-key rotation: `server keys rotate` publishes a new key, which signs once every verifier
//! can know it, while every token signed by an
//! older key keeps verifying until it expires; a running server picks the rotation up by itself.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;
use server::oauth::keys::{KeyRing, PUBLISH_BEFORE_SIGNING_SECS};
use server::store::now;

use crate::common::spawn_app;

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

async fn published_kids(app: &crate::common::TestApp) -> Vec<String> {
    let jwks: Value = app.http.get(format!("{}/jwks", app.as_url)).send().await.unwrap().json().await.unwrap();
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn rotation_signs_with_the_new_key_and_keeps_old_tokens_valid() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let old_token = app.access_token("alice").await;
    let old_kid = kid_of(&old_token);
    assert_eq!(published_kids(&app).await, vec![old_kid.clone()]);

    let report = server::cli::keys_rotate(&*app.store).await.unwrap();
    assert!(report.contains(&old_kid), "{report}");

    // The running server reloads its keys on a timer; no restart. Waited for generously (the
    // loop ends as soon as the reload shows), as a loaded machine may lag.
    let deadline = Instant::now() + server::KEY_RELOAD_INTERVAL + Duration::from_secs(30);
    let kids = loop {
        let kids = published_kids(&app).await;
        if kids.len() == 2 || Instant::now() > deadline {
            break kids;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(kids.len(), 2, "old and new key both published: {kids:?}");
    assert!(kids.contains(&old_kid));

    // Published first, used later: until every replica and resource server can know the new
    // key, the old one keeps signing.
    let meanwhile = app.access_token("alice").await;
    assert_eq!(kid_of(&meanwhile), old_kid, "the new key does not sign before it has been published a while");
    app.keys.reload(&*app.store, now() + PUBLISH_BEFORE_SIGNING_SECS + 1).await.unwrap();
    let new_token = app.access_token("alice").await;
    let new_kid = kid_of(&new_token);
    assert_ne!(new_kid, old_kid, "new tokens are signed with the new key");
    assert!(kids.contains(&new_kid));

    // Both tokens open an MCP session: the resource server refetches the JWKS for the new kid.
    app.mcp_session(&old_token).await;
    app.mcp_session(&new_token).await;
}

#[tokio::test]
async fn a_retired_key_is_unpublished_once_its_tokens_have_expired() {
    let app = spawn_app().await;
    let ttl = 900;
    let first = KeyRing::load_or_create(&*app.store, now(), ttl).await.unwrap();
    let old_kid = first.active_kid().to_owned();
    let retired_at = now();
    server::oauth::keys::rotate(&*app.store, retired_at).await.unwrap();

    let kids = |ring: &KeyRing| ring.jwks().keys.iter().map(|k| k.kid.clone().unwrap()).collect::<Vec<_>>();
    let soon = KeyRing::load_or_create(&*app.store, retired_at + PUBLISH_BEFORE_SIGNING_SECS - 1, ttl).await.unwrap();
    assert_eq!(soon.active_kid(), old_kid, "still signing while its successor is being published");
    assert_eq!(kids(&soon).len(), 2, "{:?}", kids(&soon));
    // It signed until PUBLISH_BEFORE_SIGNING_SECS after its retirement, so it stays that much longer.
    let last_signed = retired_at + PUBLISH_BEFORE_SIGNING_SECS;
    let still = KeyRing::load_or_create(&*app.store, last_signed + ttl - 1, ttl).await.unwrap();
    assert!(kids(&still).contains(&old_kid), "published while its tokens may live");
    assert_ne!(still.active_kid(), old_kid);
    let later = KeyRing::load_or_create(&*app.store, last_signed + ttl + 1, ttl).await.unwrap();
    assert_eq!(kids(&later), vec![later.active_kid().to_owned()], "only the active key is left");
}

#[tokio::test]
async fn the_keys_command_rotates_and_lists_without_revealing_private_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .env("RUST_LOG", "off")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run(&["keys", "rotate"]);
    assert!(first.contains("retired: none"), "{first}");
    let second = run(&["keys", "rotate"]);
    let listing = run(&["keys", "list"]);
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(lines[0].contains("active") && second.contains(lines[0].split('\t').next().unwrap()));
    assert!(lines[1].contains("retired at"));
    let store = server::store::open(db.to_str().unwrap()).await.unwrap();
    for row in store.all_signing_keys().await.unwrap() {
        assert!(!listing.contains(&row.seed_b64), "the private seed is never printed");
    }
}

/// After a compromise, `keys revoke` withdraws a key at once: gone from the JWKS and refused at
/// `/mcp` as soon as the server reloads its keys (every `KEY_RELOAD_INTERVAL`; triggered here),
/// although the RS had it cached and tokens it signed have not expired.
#[tokio::test]
async fn a_revoked_key_is_unpublished_and_its_tokens_refused_at_once() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let kid = kid_of(&token);
    app.mcp_session(&token).await; // the RS now holds the key

    let report = server::cli::keys_revoke(&*app.store, &kid).await.unwrap();
    assert!(report.contains("revoked") && report.contains("new key"), "{report}");
    app.keys.reload(&*app.store, now()).await.unwrap();

    let kids = published_kids(&app).await;
    assert!(!kids.contains(&kid), "revoked key still published: {kids:?}");
    assert_eq!(kids.len(), 1, "its replacement is the one active key");
    let init = serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": shared::mcp::PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "it", "version": "0"}}});
    let resp = app.mcp_post(Some(&token), None, &init).await;
    let why = crate::common::assert_oauth_error(resp, reqwest::StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert!(why.contains("unknown key"), "{why}");

    // New tokens are signed by the replacement and work at once.
    let fresh = app.access_token("alice").await;
    assert_eq!(vec![kid_of(&fresh)], kids);
    app.mcp_session(&fresh).await;
    let events: Vec<String> = app.store.recent_audit(20).await.unwrap().into_iter().map(|e| e.event).collect();
    assert!(events.contains(&"signing_key_revoked".to_owned()), "{events:?}");
}

#[tokio::test]
async fn revoking_a_retired_key_keeps_the_active_one_and_unknown_kids_are_an_error() {
    let app = spawn_app().await;
    let old = KeyRing::load_or_create(&*app.store, now(), 900).await.unwrap().active_kid().to_owned();
    let (active, _) = server::oauth::keys::rotate(&*app.store, now()).await.unwrap();
    let report = server::cli::keys_revoke(&*app.store, &old).await.unwrap();
    assert!(!report.contains("new key"), "{report}");
    let ring = KeyRing::load_or_create(&*app.store, now(), 900).await.unwrap();
    assert_eq!(ring.active_kid(), active);
    assert_eq!(ring.published_kids().collect::<Vec<_>>(), vec![active.as_str()]);

    let unknown = server::cli::keys_revoke(&*app.store, "k_nope").await.unwrap_err().to_string();
    assert!(unknown.contains("no signing key \"k_nope\""), "{unknown}");
    let again = server::cli::keys_revoke(&*app.store, &old).await.unwrap_err().to_string();
    assert!(again.contains("already revoked"), "{again}");
    let listing = server::cli::keys_list(&*app.store).await.unwrap();
    assert!(listing.lines().any(|l| l.starts_with(&old) && l.contains("revoked at")), "{listing}");
}

#[tokio::test]
async fn the_revoke_command_fails_clearly_for_an_unknown_kid() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--db")
        .arg(dir.path().join("cli.db"))
        .args(["keys", "revoke", "k_nope"])
        .env("RUST_LOG", "off")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no signing key \"k_nope\""), "{stderr}");
}
