//! JWT access tokens (RFC 9068) at the resource server: forged, confused and misdirected tokens
//! are refused with `invalid_token`; the keys are published as a JWKS and survive restarts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use reqwest::header::WWW_AUTHENTICATE;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::oauth::jwt::AccessClaims;
use shared::challenge::BearerChallenge;

use crate::common::{claims_for, mint, spawn_app, TestApp};

async fn kid(app: &TestApp) -> String {
    let jwks: Value = app.http.get(format!("{}/jwks", app.as_url)).send().await.unwrap().json().await.unwrap();
    jwks["keys"][0]["kid"].as_str().unwrap().to_owned()
}

/// A compact JWS with an arbitrary header, signed by `key`.
fn forge(header: &Value, claims: &AccessClaims, key: &SigningKey) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    );
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).to_bytes()))
}

/// A way to spoil otherwise good claims.
type Breaker = Box<dyn Fn(&mut AccessClaims)>;

async fn setup() -> (TestApp, AccessClaims) {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let client = app.register_client().await;
    let claims = claims_for(&app, &alice, &client);
    (app, claims)
}

/// Status and `error` of the challenge for an MCP initialize with `token`.
async fn mcp_status(app: &TestApp, token: &str) -> (StatusCode, Option<String>) {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": shared::mcp::PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    let resp = app.mcp_post(Some(token), None, &init).await;
    let error = resp
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| BearerChallenge::parse(v.to_str().ok()?))
        .and_then(|c| c.error);
    (resp.status(), error)
}

async fn assert_invalid(app: &TestApp, token: &str, why: &str) {
    assert_eq!(mcp_status(app, token).await, (StatusCode::UNAUTHORIZED, Some("invalid_token".into())), "{why}");
}

#[tokio::test]
async fn issued_tokens_are_signed_jwts_with_rfc9068_claims() {
    let app = spawn_app().await;
    let alice = app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let mut parts = token.split('.');
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["kid"], kid(&app).await.as_str());
    assert_eq!(claims["iss"], app.as_url);
    assert_eq!(claims["aud"], app.mcp_url);
    assert_eq!(claims["sub"], alice);
    assert_eq!(claims["scope"], "user");
    assert!(claims["client_id"].is_string() && claims["jti"].is_string());
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    assert_eq!(mcp_status(&app, &token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn jwks_is_advertised_and_publishes_the_signing_key() {
    let app = spawn_app().await;
    let meta: Value = app
        .http
        .get(format!("{}/.well-known/oauth-authorization-server", app.as_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["jwks_uri"], format!("{}/jwks", app.as_url));
    let jwks: Value = app.http.get(format!("{}/jwks", app.as_url)).send().await.unwrap().json().await.unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    assert!(key.get("d").is_none(), "never the private part");
}

#[tokio::test]
async fn forged_and_confused_tokens_are_invalid() {
    let (app, claims) = setup().await;
    let kid = kid(&app).await;
    let good = mint(&app, &claims).await;
    assert_eq!(mcp_status(&app, &good).await.0, StatusCode::OK, "control: a good token works");
    let stranger = SigningKey::from_bytes(&[7u8; 32]);
    let h = |alg: &str, typ: &str| json!({"alg": alg, "typ": typ, "kid": kid});
    assert_invalid(&app, &forge(&h("EdDSA", "at+jwt"), &claims, &stranger), "signed by another key").await;
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(h("none", "at+jwt").to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
    );
    assert_invalid(&app, &none, "alg none").await;
    assert_invalid(&app, &forge(&h("HS256", "at+jwt"), &claims, &stranger), "algorithm confusion").await;
    assert_invalid(&app, &forge(&h("EdDSA", "JWT"), &claims, &stranger), "not an access token").await;
    let unknown_kid = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "k_nope"});
    assert_invalid(&app, &forge(&unknown_kid, &claims, &stranger), "unknown kid").await;
    let (head, rest) = good.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let mut other = claims.clone();
    other.sub = "someone-else".into();
    let swapped = format!("{head}.{}.{sig}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap()));
    assert_invalid(&app, &swapped, "payload swapped under a valid signature").await;
    assert_invalid(&app, "not.a.jwt", "garbage").await;
}

#[tokio::test]
async fn wrong_issuer_audience_and_times_are_invalid() {
    let (app, claims) = setup().await;
    let now = server::store::now();
    let cases: Vec<(&str, Breaker)> = vec![
        ("wrong issuer", Box::new(|c| c.iss = "https://evil.example".into())),
        ("wrong audience", Box::new(|c| c.aud = "http://127.0.0.1:1/mcp".into())),
        ("audience of the bare server", Box::new(|c| c.aud = c.aud.trim_end_matches("/mcp").to_owned())),
        ("expired", Box::new(move |c| c.exp = now - 120)),
        ("issued in the future", Box::new(move |c| c.iat = now + 3600)),
        ("not yet valid", Box::new(move |c| c.nbf = Some(now + 3600))),
    ];
    for (why, break_it) in cases {
        let mut c = claims.clone();
        break_it(&mut c);
        assert_invalid(&app, &mint(&app, &c).await, why).await;
    }
}

#[tokio::test]
async fn signing_key_survives_a_restart() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let before = kid(&app).await;
    let app = app.restart().await;
    assert_eq!(kid(&app).await, before, "same key after a restart");
    assert_eq!(mcp_status(&app, &token).await.0, StatusCode::OK);
}
