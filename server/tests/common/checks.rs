//! Assertions on answers every area shares, and the way race tests start their attempts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

/// Asserts an RFC 6749 §5.2 error body and returns its description.
pub async fn assert_oauth_error(resp: Response, status: StatusCode, code: &str) -> String {
    assert_eq!(resp.status(), status, "status for expected {code}");
    let body: Value = resp.json().await.expect("JSON error body");
    assert_eq!(body["error"], code, "error code in {body}");
    body["error_description"].as_str().unwrap_or_default().to_owned()
}

/// Asserts the answer every body-taking endpoint gives a body over its limit: 413 with an
/// RFC 6749 §5.2 JSON body (`invalid_request`, a description, nothing else) that is not cached.
pub async fn assert_too_large(resp: Response, what: &str) {
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE, "{what}");
    let ct = resp.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert_eq!(ct, "application/json", "{what}: Content-Type");
    assert_eq!(resp.headers().get(CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("no-store"), "{what}");
    let body: Value = resp.json().await.unwrap_or_else(|e| panic!("{what}: JSON error body expected: {e}"));
    assert_eq!(body, json!({"error": "invalid_request", "error_description": "request body is too large"}), "{what}");
}

/// Sends every request from its own task, all released at once by a barrier so that they really
/// overlap (use a multi-thread runtime); returns the responses in order.
pub async fn send_all_at_once(requests: Vec<RequestBuilder>) -> Vec<Response> {
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|req| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                req.send().await.unwrap()
            })
        })
        .collect();
    let mut responses = Vec::with_capacity(tasks.len());
    for task in tasks {
        responses.push(task.await.unwrap());
    }
    responses
}

/// How many simultaneous attempts the race tests make.
pub const RACERS: usize = 32;

/// Polls `/mcp` with `token` until it is refused with `invalid_token`; fails after `deadline`.
pub async fn refused_within(app: &super::TestApp, token: &str, session: Option<&str>, deadline: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let resp = app
            .mcp_post(Some(token), session, &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}))
            .await;
        if resp.status() == StatusCode::UNAUTHORIZED {
            let challenge = resp.headers()[reqwest::header::WWW_AUTHENTICATE].to_str().unwrap().to_owned();
            assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
            return started.elapsed();
        }
        assert_eq!(resp.status(), StatusCode::OK, "before the revocation lands the token works");
        assert!(started.elapsed() < deadline, "still accepted {:?} after the revocation", started.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
