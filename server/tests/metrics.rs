//! `--metrics-addr`: Prometheus metrics on a listener of their own. A known flow moves each
//! counter by exactly what it did, and no label carries a raw path, query, token or code.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{spawn_app_with, TestApp, PASSWORD, REDIRECT_URI};

async fn metrics_app() -> TestApp {
    spawn_app_with(|c| c.metrics_addr = Some("127.0.0.1:0".parse().unwrap())).await
}

async fn scrape(app: &TestApp) -> String {
    let resp = app.http.get(app.metrics_url.as_deref().expect("metrics listener")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.unwrap()
}

/// The value of the one sample named exactly `series` (metric name and labels), 0 if absent.
fn sample(text: &str, series: &str) -> f64 {
    let values: Vec<f64> = text
        .lines()
        .filter_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.split(' ').next()?.parse().ok())
        .collect();
    assert!(values.len() <= 1, "{series} appears {} times", values.len());
    values.first().copied().unwrap_or(0.0)
}

fn requests(listener: &str, route: &str, status: u16) -> String {
    format!("http_requests_total{{listener=\"{listener}\",route=\"{route}\",status=\"{status}\"}}")
}

#[tokio::test]
async fn a_flow_moves_each_counter_by_exactly_what_it_did_and_labels_stay_generic() {
    let app = metrics_app().await;
    app.add_user("alice").await;
    let before = scrape(&app).await;
    for name in ["tokens_issued_total", "token_refreshes_total", "revocations_total", "failed_sign_ins_total"] {
        assert_eq!(sample(&before, name), 0.0, "{name} before any request:\n{before}");
    }
    assert_eq!(sample(&before, "mcp_sessions_active"), 0.0);

    // One wrong password, then the whole flow: code, tokens, a refresh, an MCP session, revocation.
    let resp =
        app.register(json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]}));
    let client: Value = resp.await.json().await.unwrap();
    let client_id = client["client_id"].as_str().unwrap();
    let verifier = crate::common::new_verifier();
    let form = app.open_login(&app.authorize_url(client_id, &verifier, &[])).await;
    assert_eq!(app.login(&form, "alice", "not the password").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
    let (code, pending) = app.authorize_code_for(client_id, "alice").await;
    let tokens: Value = app.exchange(&code, &pending).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let resp =
        app.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client_id)]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let rotated: Value = resp.json().await.unwrap();
    let access = rotated["access_token"].as_str().unwrap();
    let session = app.mcp_session(access).await;
    assert_eq!(sample(&scrape(&app).await, "mcp_sessions_active"), 1.0);
    // Ending the session takes it off the gauge.
    let resp = app
        .http
        .delete(&app.mcp_url)
        .bearer_auth(access)
        .header("Mcp-Session-Id", &session)
        .header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let revoke = [("token", rotated["refresh_token"].as_str().unwrap()), ("client_id", client_id)];
    let resp = app.http.post(format!("{}/revoke", app.as_url)).form(&revoke).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Paths a scanner might try, with ids and secrets in them.
    let probe = format!("{}/clients/{code}?access_token={access}", app.as_url);
    assert_eq!(app.http.get(probe).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    let after = scrape(&app).await;
    assert_eq!(sample(&after, "tokens_issued_total"), 1.0, "{after}");
    assert_eq!(sample(&after, "token_refreshes_total"), 1.0);
    assert_eq!(sample(&after, "revocations_total"), 1.0);
    assert_eq!(sample(&after, "failed_sign_ins_total"), 1.0);
    assert_eq!(sample(&after, "mcp_sessions_active"), 0.0);
    assert_eq!(sample(&after, "store_errors_total"), 0.0);
    assert_eq!(sample(&after, &requests("as", "/token", 200)), 2.0, "{after}");
    assert_eq!(sample(&after, &requests("as", "/authorize/login", 401)), 1.0);
    assert_eq!(sample(&after, &requests("as", "/revoke", 200)), 1.0);
    assert_eq!(sample(&after, &requests("as", "unmatched", 404)), 1.0);
    assert!(sample(&after, &requests("rs", "/mcp", 200)) >= 1.0, "{after}");
    let latency = "http_request_duration_seconds_count{listener=\"as\",route=\"/token\"}";
    assert_eq!(sample(&after, latency), 2.0);

    for secret in [&code, refresh, access, &session, &pending.verifier, "st4te", "access_token="] {
        assert!(!after.contains(secret), "a metric label carries a secret, id or query");
    }
    for line in after.lines().filter(|l| l.contains("route=\"")) {
        let route = line.split("route=\"").nth(1).unwrap().split('"').next().unwrap();
        assert!(route == "unmatched" || route.starts_with('/'), "{line}");
        assert!(!route.contains('?') && !route.contains("/clients/"), "{line}");
    }
}

#[tokio::test]
async fn store_failures_at_the_http_edge_are_counted() {
    let app = metrics_app().await;
    app.store.close().await;
    let resp = app.register(json!({"redirect_uris": [REDIRECT_URI]})).await;
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = scrape(&app).await;
    assert_eq!(sample(&text, "store_errors_total"), 1.0, "{text}");
    assert_eq!(sample(&text, &requests("as", "/register", 500)), 1.0);
}
