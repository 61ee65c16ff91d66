//! Loopback redirect URIs: any port only for native apps (RFC 8252 §7.3), and only on loopback IP
//! literals. A web client's registered `http://127.0.0.1:3000/cb` is matched exactly, so a
//! process listening on another local port cannot receive its codes.

use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::common::{new_verifier, spawn_app, TestApp, REDIRECT_URI};

async fn register(app: &TestApp, body: Value) -> String {
    let resp = app.register(body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned()
}

async fn authorize(app: &TestApp, client_id: &str, redirect_uri: &str) -> Response {
    let url = app.authorize_url(client_id, &new_verifier(), &[("redirect_uri", Some(redirect_uri))]);
    app.http.get(url).send().await.unwrap()
}

/// The login page: the redirect URI was accepted.
fn assert_accepted(resp: &Response, uri: &str) {
    assert_eq!(resp.status(), StatusCode::OK, "{uri} should be accepted");
}

/// The error page, never a redirect to the unregistered URI.
async fn assert_refused(resp: Response, uri: &str) {
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{uri} should be refused");
    assert!(resp.headers().get(LOCATION).is_none(), "never redirected to {uri}");
    assert!(resp.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(resp.text().await.unwrap().contains("does not match"));
}

#[tokio::test]
async fn a_web_client_cannot_move_its_loopback_redirect_to_another_port() {
    let app = spawn_app().await;
    let web = json!({"client_name": "Web app", "application_type": "web",
                     "redirect_uris": ["https://app.example/cb", "http://127.0.0.1:3000/cb"]});
    let client_id = register(&app, web).await;
    assert_accepted(&authorize(&app, &client_id, "http://127.0.0.1:3000/cb").await, "registered URI");
    for uri in ["http://127.0.0.1:4000/cb", "http://127.0.0.1/cb"] {
        assert_refused(authorize(&app, &client_id, uri).await, uri).await;
    }
}

#[tokio::test]
async fn a_native_client_may_use_any_port_of_its_loopback_ip_literal() {
    let app = spawn_app().await;
    let native = json!({"client_name": "Native app", "application_type": "native",
                        "redirect_uris": ["http://127.0.0.1:3000/cb", "http://[::1]:3000/cb",
                                          "http://localhost:3000/cb"]});
    let client_id = register(&app, native).await;
    for uri in ["http://127.0.0.1:4000/cb", "http://127.0.0.1/cb", "http://[::1]:4000/cb"] {
        assert_accepted(&authorize(&app, &client_id, uri).await, uri);
    }
    // Scheme, host and path must still be the registered ones; `localhost` is matched exactly.
    assert_accepted(&authorize(&app, &client_id, "http://localhost:3000/cb").await, "registered localhost URI");
    for uri in ["http://localhost:4000/cb", "http://127.0.0.1:4000/other", "https://127.0.0.1:4000/cb"] {
        assert_refused(authorize(&app, &client_id, uri).await, uri).await;
    }
}

#[tokio::test]
async fn a_client_with_only_loopback_redirects_counts_as_native() {
    // The usual MCP client registration: no application_type, one loopback URI.
    let app = spawn_app().await;
    let client_id = app.register_client().await;
    assert!(REDIRECT_URI.starts_with("http://127.0.0.1:18080/"));
    let other_port = "http://127.0.0.1:18081/callback";
    assert_accepted(&authorize(&app, &client_id, other_port).await, other_port);
    for uri in ["http://localhost:18081/callback", "http://127.0.0.1:18081/other"] {
        assert_refused(authorize(&app, &client_id, uri).await, uri).await;
    }
}
