//! The bearer guard on `/mcp` (RFC 6750, RFC 9728), CORS on the resource server, and the
//! discovery documents.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, ORIGIN, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use shared::challenge::BearerChallenge;

use crate::common::{assert_oauth_error, spawn_app, TestApp, SPA_ORIGIN};

const EVIL_ORIGIN: &str = "http://evil.example";

fn init() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": shared::mcp::PROTOCOL_VERSION, "capabilities": {},
        "clientInfo": {"name": "it", "version": "0"}}})
}

/// POST initialize to `url` with an optional raw `Authorization` value and `Origin`.
async fn post(app: &TestApp, url: &str, authorization: Option<&str>, origin: Option<&str>) -> Response {
    let mut req = app
        .http
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(init().to_string());
    if let Some(a) = authorization {
        req = req.header(AUTHORIZATION, a);
    }
    if let Some(o) = origin {
        req = req.header(ORIGIN, o);
    }
    req.send().await.unwrap()
}

/// Asserts the status and returns the parsed Bearer challenge, which must always point at our
/// protected resource metadata and name the `user` scope.
fn challenge(app: &TestApp, resp: &Response, status: StatusCode) -> BearerChallenge {
    assert_eq!(resp.status(), status);
    let header = resp.headers().get(WWW_AUTHENTICATE).expect("WWW-Authenticate").to_str().unwrap();
    let c = BearerChallenge::parse(header).unwrap_or_else(|| panic!("not a Bearer challenge: {header}"));
    let prm = format!("{}/.well-known/oauth-protected-resource/mcp", app.rs_url);
    assert_eq!(c.resource_metadata.as_deref(), Some(prm.as_str()), "{header}");
    assert_eq!(c.scope.as_deref(), Some("user"), "{header}");
    c
}

/// A JWT signed by the server's key for a fresh user, with the given scope, audience and lifetime.
async fn insert_token(app: &TestApp, scope: &str, audience: &str, expires_in: i64) -> String {
    let user_id = app.add_user("tina").await;
    let client_id = app.register_client().await;
    let mut claims = crate::common::claims_for(app, &user_id, &client_id);
    claims.scope = scope.into();
    claims.aud = audience.into();
    claims.iat -= 120;
    claims.exp = server::store::now() + expires_in;
    crate::common::mint(app, &claims).await
}

#[tokio::test]
async fn no_token_gets_a_challenge_without_error() {
    let app = spawn_app().await;
    let resp = post(&app, &app.mcp_url, None, None).await;
    let c = challenge(&app, &resp, StatusCode::UNAUTHORIZED);
    assert_eq!(c.error, None, "RFC 6750 §3.1: no error code when no credentials were sent");
    assert!(resp.text().await.unwrap().is_empty(), "nor error details in the body");
    // The session endpoint's other methods are guarded too.
    let resp = app.http.get(&app.mcp_url).header("Accept", "text/event-stream").send().await.unwrap();
    challenge(&app, &resp, StatusCode::UNAUTHORIZED);
    let resp = app.http.delete(&app.mcp_url).header("Mcp-Session-Id", "x").send().await.unwrap();
    challenge(&app, &resp, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_token_is_invalid_token() {
    let app = spawn_app().await;
    let bearer = format!("Bearer {}", server::oauth::secrets::random_token());
    let c = challenge(&app, &post(&app, &app.mcp_url, Some(&bearer), None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(c.error.as_deref(), Some("invalid_token"));
}

#[tokio::test]
async fn other_schemes_are_refused() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    // A valid token under another scheme does not count.
    for value in [format!("Basic {token}"), format!("Token {token}"), "Basic YWxpY2U6cHc=".to_owned()] {
        let c = challenge(&app, &post(&app, &app.mcp_url, Some(&value), None).await, StatusCode::UNAUTHORIZED);
        assert_ne!(c.error.as_deref(), Some("insufficient_scope"));
    }
}

#[tokio::test]
async fn malformed_authorization_is_invalid_token() {
    let app = spawn_app().await;
    for value in ["Bearer", "Bearer ", "Bearer a b", "Bearer tok\"en", "Bearer a,b"] {
        let resp = post(&app, &app.mcp_url, Some(value), None).await;
        let c = challenge(&app, &resp, StatusCode::UNAUTHORIZED);
        assert_eq!(c.error.as_deref(), Some("invalid_token"), "{value}");
    }
}

#[tokio::test]
async fn token_in_query_string_is_invalid_request() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let url = format!("{}?access_token={token}", app.mcp_url);
    let c = challenge(&app, &post(&app, &url, None, None).await, StatusCode::BAD_REQUEST);
    assert_eq!(c.error.as_deref(), Some("invalid_request"));
    // Also refused when the header carries the token as well (two methods at once).
    let c = challenge(&app, &post(&app, &url, Some(&format!("Bearer {token}")), None).await, StatusCode::BAD_REQUEST);
    assert_eq!(c.error.as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn expired_token_is_invalid_token() {
    let app = spawn_app().await;
    // Beyond the 30 s clock-skew leeway.
    let token = insert_token(&app, "user", &app.mcp_url, -60).await;
    let c = challenge(
        &app,
        &post(&app, &app.mcp_url, Some(&format!("Bearer {token}")), None).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_eq!(c.error.as_deref(), Some("invalid_token"));
}

#[tokio::test]
async fn token_for_another_audience_is_invalid_token() {
    let app = spawn_app().await;
    let token = insert_token(&app, "user", "http://127.0.0.1:1/other", 3600).await;
    assert_eq!(app.introspect(&token).await["active"], true, "the AS considers it valid");
    let c = challenge(
        &app,
        &post(&app, &app.mcp_url, Some(&format!("Bearer {token}")), None).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_eq!(c.error.as_deref(), Some("invalid_token"));
}

#[tokio::test]
async fn token_without_user_scope_is_insufficient_scope() {
    let app = spawn_app().await;
    let token = insert_token(&app, "", &app.mcp_url, 3600).await;
    let c =
        challenge(&app, &post(&app, &app.mcp_url, Some(&format!("Bearer {token}")), None).await, StatusCode::FORBIDDEN);
    assert_eq!(c.error.as_deref(), Some("insufficient_scope"));
}

#[tokio::test]
async fn cors_preflight_allows_the_spa() {
    let app = spawn_app().await;
    let resp = app
        .http
        .request(Method::OPTIONS, &app.mcp_url)
        .header(ORIGIN, SPA_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization,content-type,mcp-session-id")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], SPA_ORIGIN);
    let allowed = h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    for name in ["authorization", "content-type", "mcp-session-id"] {
        assert!(allowed.contains(name), "{allowed}");
    }
    assert!(h["access-control-allow-methods"].to_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn cors_headers_on_401_let_the_spa_read_the_challenge() {
    let app = spawn_app().await;
    let resp = post(&app, &app.mcp_url, None, Some(SPA_ORIGIN)).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["access-control-allow-origin"], SPA_ORIGIN);
    let exposed = resp.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(exposed.contains("www-authenticate"), "{exposed}");
    assert!(exposed.contains("mcp-session-id"), "{exposed}");
}

#[tokio::test]
async fn disallowed_origin_gets_no_cors_and_no_mcp() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let preflight = app
        .http
        .request(Method::OPTIONS, &app.mcp_url)
        .header(ORIGIN, EVIL_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(preflight.headers().get("access-control-allow-origin").is_none());
    let resp = post(&app, &app.mcp_url, None, Some(EVIL_ORIGIN)).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // Even with a valid token, a foreign Origin is refused (DNS-rebinding protection).
    let token = app.access_token("alice").await;
    let resp = post(&app, &app.mcp_url, Some(&format!("Bearer {token}")), Some(EVIL_ORIGIN)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // The allowed origin works with the same token.
    let resp = post(&app, &app.mcp_url, Some(&format!("Bearer {token}")), Some(SPA_ORIGIN)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["access-control-allow-origin"], SPA_ORIGIN);
}

#[tokio::test]
async fn oversized_mcp_body_is_413() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let token = app.access_token("alice").await;
    let big = json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x".repeat(300 * 1024)}});
    let resp = app.mcp_post(Some(&token), None, &big).await;
    crate::common::assert_too_large(resp, "/mcp").await;
}

#[tokio::test]
async fn discovery_documents_at_every_advertised_path() {
    let app = spawn_app().await;
    let get = |url: String| {
        let http = app.http.clone();
        async move {
            let resp = http.get(&url).send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{url}");
            resp.json::<Value>().await.unwrap()
        }
    };
    let path_aware = get(format!("{}/.well-known/oauth-protected-resource/mcp", app.rs_url)).await;
    let root = get(format!("{}/.well-known/oauth-protected-resource", app.rs_url)).await;
    assert_eq!(path_aware, root);
    assert_eq!(path_aware["resource"], app.mcp_url);
    assert_eq!(path_aware["authorization_servers"], json!([app.as_url]));
    assert_eq!(path_aware["bearer_methods_supported"], json!(["header"]));

    let oauth = get(format!("{}/.well-known/oauth-authorization-server", app.as_url)).await;
    let openid = get(format!("{}/.well-known/openid-configuration", app.as_url)).await;
    assert_eq!(oauth, openid);
    assert_eq!(oauth["issuer"], app.as_url);
    assert_eq!(oauth["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(oauth["grant_types_supported"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(oauth["response_types_supported"], json!(["code"]));
    let client_auth = json!(["none", "client_secret_basic", "client_secret_post"]);
    assert_eq!(oauth["token_endpoint_auth_methods_supported"], client_auth);
    assert_eq!(oauth["revocation_endpoint_auth_methods_supported"], client_auth);
}

#[tokio::test]
async fn unknown_paths_are_404_json() {
    let app = spawn_app().await;
    for url in [
        format!("{}/.well-known/oauth-authorization-server/tenant", app.as_url),
        format!("{}/nope", app.as_url),
        format!("{}/nope", app.rs_url),
        format!("{}/.well-known/oauth-protected-resource/other", app.rs_url),
    ] {
        let resp = app.http.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{url}");
        let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(ct.starts_with("application/json"), "{url}: {ct}");
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"].is_string(), "{url}: {body}");
    }
}

#[tokio::test]
async fn wrong_methods_get_a_json_405() {
    let app = spawn_app().await;
    for path in ["/token", "/register", "/introspect", "/revoke"] {
        let resp = app.http.get(format!("{}{path}", app.as_url)).send().await.unwrap();
        assert_oauth_error(resp, StatusCode::METHOD_NOT_ALLOWED, "invalid_request").await;
    }
    let resp = app.http.put(format!("{}/.well-known/oauth-protected-resource", app.rs_url)).send().await.unwrap();
    assert_oauth_error(resp, StatusCode::METHOD_NOT_ALLOWED, "invalid_request").await;
}
