//! CORS on every authorization-server route (README: "on every AS and RS route (including 401s,
//! 404s and preflights), configured origins only"): a preflight from the configured origin is
//! allowed with the methods and headers the clients need, the answers expose the headers the
//! clients must read, and another origin gets no `Access-Control-Allow-Origin` anywhere. The
//! routes are those of `server::as_app` (`http::metadata`, `register`, `token`, `introspect`,
//! `revoke` and `pages`), plus the fallback's 404 and 405.

use reqwest::header::{HeaderMap, ORIGIN, VARY};
use reqwest::{Method, Response, StatusCode};
use shared::urls;

use crate::common::{spawn_app, TestApp, SPA_ORIGIN};

const EVIL_ORIGIN: &str = "http://evil.example";
/// What browser clients must be allowed to send...
const ALLOWED_HEADERS: [&str; 5] =
    ["authorization", "content-type", "mcp-session-id", "mcp-protocol-version", "last-event-id"];
/// ...and to read.
const EXPOSED_HEADERS: [&str; 4] = ["www-authenticate", "mcp-session-id", "mcp-protocol-version", "retry-after"];

/// Every route of the authorization server, with the method a client uses on it.
const AS_ROUTES: [(&str, &str); 14] = [
    ("GET", urls::AS_METADATA),
    ("GET", urls::OPENID_CONFIGURATION),
    ("GET", urls::JWKS),
    ("POST", urls::REGISTER),
    ("GET", urls::AUTHORIZE),
    ("POST", urls::AUTHORIZE_LOGIN),
    ("POST", urls::AUTHORIZE_CONSENT),
    ("POST", urls::TOKEN),
    ("POST", urls::INTROSPECT),
    ("POST", urls::REVOKE),
    ("GET", "/account"),
    ("POST", "/account/revoke"),
    ("POST", "/account/logout"),
    ("GET", "/assets/pages.css"),
];

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

/// A comma-separated header as lower-case names.
fn list(h: &HeaderMap, name: &str) -> Vec<String> {
    header(h, name).unwrap_or_default().split(',').map(|s| s.trim().to_ascii_lowercase()).collect()
}

async fn preflight(app: &TestApp, path: &str, method: &str, origin: &str) -> Response {
    app.http
        .request(Method::OPTIONS, format!("{}{path}", app.as_url))
        .header(ORIGIN, origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", ALLOWED_HEADERS.join(","))
        .send()
        .await
        .unwrap()
}

/// The request a browser page would make on `path` (an empty form for the POSTs).
async fn request(app: &TestApp, method: &str, path: &str, origin: &str) -> Response {
    let url = format!("{}{path}", app.as_url);
    let req = match method {
        "GET" => app.http.get(url),
        _ => app.http.post(url).form(&[("grant_type", "authorization_code"), ("client_id", "c_unknown")]),
    };
    req.header(ORIGIN, origin).send().await.unwrap()
}

/// The headers a response to the configured origin must carry.
fn assert_allowed(h: &HeaderMap, what: &str) {
    assert_eq!(header(h, "access-control-allow-origin"), Some(SPA_ORIGIN), "{what}");
    let exposed = list(h, "access-control-expose-headers");
    for name in EXPOSED_HEADERS {
        assert!(exposed.iter().any(|e| e == name), "{what}: {name} not exposed in {exposed:?}");
    }
    assert!(list(h, VARY.as_str()).iter().any(|v| v == "origin"), "{what}: caches must vary on Origin");
    assert!(header(h, "access-control-allow-credentials").is_none(), "{what}: no credentialed CORS");
}

/// Without `Access-Control-Allow-Origin` the browser hands the page nothing (the other CORS
/// headers, which the layer adds for any origin, then mean nothing).
fn assert_not_allowed(h: &HeaderMap, what: &str) {
    assert!(header(h, "access-control-allow-origin").is_none(), "{what}: {EVIL_ORIGIN} must not be allowed");
}

#[tokio::test]
async fn preflights_from_the_configured_origin_are_allowed_on_every_route() {
    let app = spawn_app().await;
    for (method, path) in AS_ROUTES.iter().copied().chain([("GET", "/no-such-route")]) {
        let what = format!("OPTIONS {path} for {method}");
        let resp = preflight(&app, path, method, SPA_ORIGIN).await;
        assert_eq!(resp.status(), StatusCode::OK, "{what}");
        let h = resp.headers();
        assert_eq!(header(h, "access-control-allow-origin"), Some(SPA_ORIGIN), "{what}");
        let methods = list(h, "access-control-allow-methods");
        assert!(methods.iter().any(|m| m.eq_ignore_ascii_case(method)), "{what}: {methods:?}");
        let headers = list(h, "access-control-allow-headers");
        for name in ALLOWED_HEADERS {
            assert!(headers.iter().any(|a| a == name), "{what}: {name} not allowed in {headers:?}");
        }
        assert_eq!(header(h, "access-control-max-age"), Some("600"), "{what}");
        assert!(list(h, VARY.as_str()).iter().any(|v| v == "origin"), "{what}");
    }
}

#[tokio::test]
async fn preflights_from_another_origin_are_not_allowed_on_any_route() {
    let app = spawn_app().await;
    for (method, path) in AS_ROUTES.iter().copied().chain([("GET", "/no-such-route")]) {
        let resp = preflight(&app, path, method, EVIL_ORIGIN).await;
        let h = resp.headers();
        let what = format!("OPTIONS {path} for {method} from {EVIL_ORIGIN}");
        // Without Access-Control-Allow-Origin the browser refuses, whatever else is there.
        assert!(header(h, "access-control-allow-origin").is_none(), "{what}");
    }
}

#[tokio::test]
async fn every_answer_carries_cors_for_the_configured_origin_only() {
    let app = spawn_app().await;
    for (method, path) in AS_ROUTES {
        let allowed = request(&app, method, path, SPA_ORIGIN).await;
        let status = allowed.status();
        assert_allowed(allowed.headers(), &format!("{method} {path} ({status})"));
        let refused = request(&app, method, path, EVIL_ORIGIN).await;
        assert_eq!(refused.status(), status, "{method} {path}: CORS does not change the answer itself");
        assert_not_allowed(refused.headers(), &format!("{method} {path} ({status})"));
    }
}

#[tokio::test]
async fn error_answers_carry_cors_too() {
    let app = spawn_app().await;
    // 404 from the fallback, 405 for a wrong method, 401 invalid_client with a Basic challenge,
    // 401 for introspection without credentials.
    let cases = [
        ("GET", "/no-such-route", StatusCode::NOT_FOUND),
        ("GET", urls::TOKEN, StatusCode::METHOD_NOT_ALLOWED),
        ("POST", urls::TOKEN, StatusCode::UNAUTHORIZED),
        ("POST", urls::INTROSPECT, StatusCode::UNAUTHORIZED),
    ];
    for (method, path, status) in cases {
        let what = format!("{method} {path}");
        let resp = request(&app, method, path, SPA_ORIGIN).await;
        assert_eq!(resp.status(), status, "{what}");
        assert_allowed(resp.headers(), &what);
        if path == urls::TOKEN && status == StatusCode::UNAUTHORIZED {
            assert!(header(resp.headers(), "www-authenticate").is_some(), "the exposed challenge is there");
        }
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(body["error"].is_string(), "{what}: {body}");
        let resp = request(&app, method, path, EVIL_ORIGIN).await;
        assert_eq!(resp.status(), status, "{what}");
        assert_not_allowed(resp.headers(), &format!("{what} from {EVIL_ORIGIN}"));
    }
}

#[tokio::test]
async fn resource_server_metadata_and_errors_carry_cors_too() {
    let app = spawn_app().await;
    let paths =
        [format!("{}{}", urls::PROTECTED_RESOURCE_METADATA, urls::MCP), urls::PROTECTED_RESOURCE_METADATA.into()];
    for path in paths.iter().map(String::as_str).chain(["/no-such-route"]) {
        let url = format!("{}{path}", app.rs_url);
        let resp = app.http.get(&url).header(ORIGIN, SPA_ORIGIN).send().await.unwrap();
        assert_allowed(resp.headers(), &format!("RS GET {path} ({})", resp.status()));
        let resp = app.http.get(&url).header(ORIGIN, EVIL_ORIGIN).send().await.unwrap();
        assert_not_allowed(resp.headers(), &format!("RS GET {path}"));
    }
}

/// `/mcp` does its own CORS (`mcp::edge`): browsers (an `Origin`, or a preflight) go through the
/// same CORS as every route, on both spellings of the endpoint; other clients get no CORS
/// headers but still `Vary: Origin`, so a cache never hands a browser their answer.
#[tokio::test]
async fn mcp_answers_browsers_with_cors_and_everyone_with_vary() {
    let app = spawn_app().await;
    for path in [urls::MCP.to_owned(), format!("{}/", urls::MCP)] {
        let url = format!("{}{path}", app.rs_url);
        let resp = app.http.post(&url).header(ORIGIN, SPA_ORIGIN).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_allowed(resp.headers(), &format!("POST {path} from the SPA"));
        let resp = app.http.post(&url).header(ORIGIN, EVIL_ORIGIN).send().await.unwrap();
        assert_not_allowed(resp.headers(), &format!("POST {path} from {EVIL_ORIGIN}"));
        let resp = app.http.post(&url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(resp.headers().get(reqwest::header::WWW_AUTHENTICATE).is_some(), "{path}: the challenge");
        assert!(header(resp.headers(), "access-control-allow-origin").is_none(), "{path}: no CORS without Origin");
        assert!(
            list(resp.headers(), VARY.as_str()).iter().any(|v| v == "origin"),
            "{path}: caches must vary on Origin"
        );
        let preflight = app
            .http
            .request(Method::OPTIONS, &url)
            .header(ORIGIN, SPA_ORIGIN)
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), StatusCode::OK, "{path}");
        assert_eq!(header(preflight.headers(), "access-control-allow-origin"), Some(SPA_ORIGIN), "OPTIONS {path}");
    }
}
