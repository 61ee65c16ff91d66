//! `/healthz` and `/readyz` on both listeners: unauthenticated simple GETs, never cached, and
//! `/readyz` reports 503 naming the store once the store stops answering.

use reqwest::header::{CACHE_CONTROL, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{spawn_app, SPA_ORIGIN};

async fn get(app: &crate::common::TestApp, url: String) -> (StatusCode, Value) {
    let resp = app.http.get(url).header(ORIGIN, SPA_ORIGIN).send().await.unwrap();
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-store");
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn healthz_and_readyz_answer_on_both_listeners_without_credentials() {
    let app = spawn_app().await;
    for base in [&app.as_url, &app.rs_url] {
        assert_eq!(get(&app, format!("{base}/healthz")).await, (StatusCode::OK, json!({"status": "ok"})));
        assert_eq!(get(&app, format!("{base}/readyz")).await, (StatusCode::OK, json!({"status": "ok"})));
    }
    // Only GET: other methods get the usual JSON error.
    let resp = app.http.post(format!("{}/healthz", app.as_url)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn readyz_is_503_naming_the_store_when_the_store_is_closed_while_healthz_stays_200() {
    let app = spawn_app().await;
    app.store.close().await;
    for base in [&app.as_url, &app.rs_url] {
        let (status, body) = get(&app, format!("{base}/readyz")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body, json!({"status": "unavailable", "not_ready": ["store"]}));
        assert_eq!(get(&app, format!("{base}/healthz")).await, (StatusCode::OK, json!({"status": "ok"})));
    }
}
