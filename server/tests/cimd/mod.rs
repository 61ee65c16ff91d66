//! Client ID Metadata Documents: an https URL as `client_id`, fetched from a real local HTTP
//! server on 127.0.0.1:0 (the test AS runs with the insecure-loopback flag so it may fetch it),
//! and the SSRF defences with that flag off.

mod doc_server;

use std::time::{Duration, Instant};

use doc_server::{endless_server, DocServer, Served};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{assert_oauth_error, new_verifier, spawn_app_with, TestApp, PASSWORD, REDIRECT_URI};

pub(super) fn document(url: &str) -> Value {
    json!({
        "client_id": url,
        "client_name": "Doc Client",
        "client_uri": "https://app.example.com",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })
}

/// The AS with the TEST-ONLY flag that lets it fetch documents from 127.0.0.1 over http.
async fn insecure_app() -> TestApp {
    spawn_app_with(|c| c.cimd_allow_insecure_loopback = true).await
}

/// The AS as in production: https only, no internal addresses.
async fn production_app() -> TestApp {
    spawn_app_with(|c| c.cimd_allow_insecure_loopback = false).await
}

/// GET /authorize for `client_id`, expecting the HTML error page and never a redirect.
async fn authorize_refused(app: &TestApp, client_id: &str, extra: &[(&str, Option<&str>)]) -> String {
    let resp = app.http.get(app.authorize_url(client_id, &new_verifier(), extra)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "error page expected for {client_id}");
    assert!(resp.headers().get(LOCATION).is_none(), "a refused client must never be redirected to");
    let ct = resp.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/html"), "{ct}");
    resp.text().await.unwrap()
}

fn assert_mentions(html: &str, words: &str) {
    assert!(html.contains(words), "expected {words:?} in:\n{html}");
}

/// How many refusals were audited for `client_id` (repeats share a row and are counted on it).
async fn refused_events(app: &TestApp, client_id: &str) -> i64 {
    let rows = app.store.recent_audit(50).await.unwrap();
    rows.iter()
        .filter(|r| r.event == "client_metadata_refused" && r.client_id.as_deref() == Some(client_id))
        .map(|r| r.count)
        .sum()
}

#[tokio::test]
async fn metadata_document_client_gets_tokens_and_calls_mcp() {
    let docs = DocServer::start().await;
    let client_id = docs.serve_valid("/apps/client.json", Some("max-age=3600"));
    let app = insecure_app().await;
    let alice = app.add_user("alice").await;

    let (code, pending) = app.authorize_code_for(&client_id, "alice").await;
    let resp = app.exchange(&code, &pending).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let tokens: Value = resp.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let session = app.mcp_session(access).await;
    let args = json!({"name": "get_user_data", "arguments": {"user_id": "current"}});
    let msg = app.mcp_request(access, &session, "tools/call", args).await;
    assert_eq!(msg["result"]["isError"], false, "{msg}");
    assert_eq!(app.introspect(access).await["client_id"], client_id.as_str());
    // Consent is remembered under the URL, like any client id.
    assert_eq!(app.store.find_grant_scope(&alice, &client_id).await.unwrap().as_deref(), Some("user"));

    // Refresh and revocation name the client by the same URL.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let resp =
        app.token(&[("grant_type", "refresh_token"), ("client_id", &client_id), ("refresh_token", refresh)]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let rotated: Value = resp.json().await.unwrap();
    let r2 = rotated["refresh_token"].as_str().unwrap();
    let revoke = [("token", r2), ("client_id", client_id.as_str())];
    let resp = app.http.post(format!("{}/revoke", app.as_url)).form(&revoke).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app.token(&[("grant_type", "refresh_token"), ("client_id", &client_id), ("refresh_token", r2)]).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;

    assert_eq!(docs.hits("/apps/client.json"), 1, "one fetch, then the cache, for the whole flow");
}

#[tokio::test]
async fn consent_page_shows_the_identity_host_and_the_redirect_host() {
    let docs = DocServer::start().await;
    let client_id = docs.serve_valid("/client.json", None);
    let app = insecure_app().await;
    app.add_user("bob").await;
    let form = app.open_login(&app.authorize_url(&client_id, &new_verifier(), &[])).await;
    let resp = app.login(&form, "bob", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    let doc_host = docs.base.trim_start_matches("http://");
    assert_mentions(&html, "class=\"identity\"");
    assert_mentions(&html, &format!("identifies itself by a document on <strong class=\"host\">{doc_host}</strong>"));
    assert_mentions(&html, "you will be sent to <strong class=\"host\">127.0.0.1:18080</strong>");
    assert_mentions(&html, "Doc Client");

    // A registered client has no such notice.
    let registered = app.register_client().await;
    let form = app.open_login(&app.authorize_url(&registered, &new_verifier(), &[])).await;
    let html = app.login(&form, "bob", PASSWORD).await.text().await.unwrap();
    assert!(!html.contains("class=\"identity\""), "{html}");
}

#[tokio::test]
async fn client_id_that_differs_from_the_document_url_is_refused() {
    let docs = DocServer::start().await;
    let client_id = docs.url("/client.json");
    docs.serve("/client.json", Served::json(&document(&docs.url("/other.json"))));
    let app = insecure_app().await;
    let html = authorize_refused(&app, &client_id, &[]).await;
    assert_mentions(&html, "invalid_client");
    assert_mentions(&html, "does not equal its URL");
    assert_eq!(refused_events(&app, &client_id).await, 1, "fetch failures are audited");
}

#[tokio::test]
async fn missing_or_empty_redirect_uris_are_refused() {
    let docs = DocServer::start().await;
    let app = insecure_app().await;
    for (path, uris) in [("/missing.json", None), ("/empty.json", Some(json!([])))] {
        let client_id = docs.url(path);
        let mut doc = document(&client_id);
        match uris {
            None => drop(doc.as_object_mut().unwrap().remove("redirect_uris")),
            Some(v) => doc["redirect_uris"] = v,
        }
        docs.serve(path, Served::json(&doc));
        let html = authorize_refused(&app, &client_id, &[]).await;
        assert_mentions(&html, "must list at least one redirect_uri");
    }
}

#[tokio::test]
async fn redirect_uri_not_in_the_document_gets_the_error_page() {
    let docs = DocServer::start().await;
    let client_id = docs.serve_valid("/client.json", None);
    let app = insecure_app().await;
    let other = [("redirect_uri", Some("http://127.0.0.1:18080/elsewhere"))];
    let html = authorize_refused(&app, &client_id, &other).await;
    assert_mentions(&html, "does not match any URI registered");
    assert_eq!(docs.hits("/client.json"), 1);
}

#[tokio::test]
async fn oversized_documents_are_refused() {
    let docs = DocServer::start().await;
    let app = insecure_app().await;
    let client_id = docs.url("/big.json");
    let mut doc = document(&client_id);
    doc["padding"] = json!("x".repeat(6 * 1024));
    docs.serve("/big.json", Served::json(&doc));
    let html = authorize_refused(&app, &client_id, &[]).await;
    assert_mentions(&html, "larger than 5120 bytes");
}

#[tokio::test]
async fn a_document_without_content_length_is_cut_off_at_the_cap() {
    // The server streams JSON for as long as anyone reads it: had the AS not stopped at the cap,
    // it would have run into its 5 s overall timeout and said "timed out" instead.
    let endless = endless_server().await;
    let app = insecure_app().await;
    let html = authorize_refused(&app, &format!("{}/client.json", endless.base), &[]).await;
    assert_mentions(&html, "larger than 5120 bytes");
    // And it hung up: the server's writes start failing (waited for generously).
    let deadline = Instant::now() + Duration::from_secs(20);
    while !endless.reader_hung_up() {
        assert!(Instant::now() < deadline, "the AS kept the endless document's connection open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_slow_document_times_out_instead_of_hanging() {
    let docs = DocServer::start().await;
    let client_id = docs.url("/slow.json");
    docs.serve("/slow.json", Served { delay: Duration::from_secs(60), ..Served::json(&document(&client_id)) });
    let app = insecure_app().await;
    let started = Instant::now();
    let html = authorize_refused(&app, &client_id, &[]).await;
    let took = started.elapsed();
    assert_mentions(&html, "timed out");
    // Not before the 5 s budget, and nowhere near the document's 60 s: bounds a loaded machine keeps.
    assert!(took >= Duration::from_secs(4) && took < Duration::from_secs(30), "{took:?}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let docs = DocServer::start().await;
    let target = docs.serve_valid("/real.json", None);
    let client_id = docs.url("/moved.json");
    docs.serve("/moved.json", Served { status: 302, location: Some(target), ..Served::json(&json!({})) });
    let app = insecure_app().await;
    let html = authorize_refused(&app, &client_id, &[]).await;
    assert_mentions(&html, "redirects are not followed");
    assert_eq!(docs.hits("/real.json"), 0);
}

#[tokio::test]
async fn documents_must_be_json() {
    let docs = DocServer::start().await;
    let app = insecure_app().await;
    let html_id = docs.url("/html.json");
    docs.serve("/html.json", Served { content_type: "text/html", ..Served::json(&document(&html_id)) });
    assert_mentions(&authorize_refused(&app, &html_id, &[]).await, "not served as JSON");
    let broken_id = docs.url("/broken.json");
    docs.serve("/broken.json", Served { body: "<html>not json</html>".into(), ..Served::json(&json!({})) });
    assert_mentions(&authorize_refused(&app, &broken_id, &[]).await, "not a JSON object");
    let missing_id = docs.url("/missing.json");
    assert_mentions(&authorize_refused(&app, &missing_id, &[]).await, "answered 404");
}

#[tokio::test]
async fn only_public_clients_may_use_documents() {
    let docs = DocServer::start().await;
    let app = insecure_app().await;
    let jwt_id = docs.url("/jwt.json");
    let mut doc = document(&jwt_id);
    doc["token_endpoint_auth_method"] = json!("private_key_jwt");
    docs.serve("/jwt.json", Served::json(&doc));
    assert_mentions(&authorize_refused(&app, &jwt_id, &[]).await, "is not supported for metadata-document clients");
    let secret_id = docs.url("/secret.json");
    let mut doc = document(&secret_id);
    doc["client_secret"] = json!("hunter2");
    docs.serve("/secret.json", Served::json(&doc));
    let html = authorize_refused(&app, &secret_id, &[]).await;
    assert_mentions(&html, "must not contain a client_secret");
    assert!(!html.contains("hunter2"));
}

#[tokio::test]
async fn loopback_and_private_addresses_are_refused_in_production() {
    let docs = DocServer::start().await;
    docs.serve_valid("/client.json", None);
    let port = docs.base.rsplit(':').next().unwrap().to_owned();
    let app = production_app().await;
    let urls = [
        format!("https://127.0.0.1:{port}/client.json"),
        format!("https://localhost:{port}/client.json"),
        format!("https://[::1]:{port}/client.json"),
        "https://[::ffff:7f00:1]/client.json".to_owned(),
        "https://10.0.0.1/client.json".to_owned(),
        "https://192.168.1.1/client.json".to_owned(),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://100.64.0.1/client.json".to_owned(),
        "https://[fd00::1]/client.json".to_owned(),
    ];
    for url in &urls {
        let html = authorize_refused(&app, url, &[]).await;
        assert_mentions(&html, server::oauth::cimd::UNREACHABLE);
    }
    assert_eq!(docs.hits("/client.json"), 0);
}

/// The error page is seen by whoever sent the request, so it must not tell which names resolve
/// or to which internal addresses: a name resolving to loopback, a name that does not resolve and
/// a private literal get one and the same page, without the address; the detail is in the log.
#[tokio::test]
async fn the_error_page_reveals_no_address_and_no_resolution() {
    let app = production_app().await;
    let pages = [
        authorize_refused(&app, "https://localhost/client.json", &[]).await,
        authorize_refused(&app, "https://nonexistent.invalid/client.json", &[]).await,
        authorize_refused(&app, "https://10.1.2.3/client.json", &[]).await,
    ];
    for html in &pages {
        assert_mentions(html, server::oauth::cimd::UNREACHABLE);
        for leak in ["127.0.0.1", "::1", "10.1.2.3", "localhost", "nonexistent", "resolve", "private"] {
            assert!(!html.contains(leak), "the page reveals {leak:?}:\n{html}");
        }
    }
    assert!(pages.iter().all(|p| *p == pages[0]), "one page for every unreachable document");
}

#[tokio::test]
async fn http_document_urls_are_refused_in_production() {
    let docs = DocServer::start().await;
    let client_id = docs.serve_valid("/client.json", None);
    let app = production_app().await;
    assert_mentions(&authorize_refused(&app, &client_id, &[]).await, "must use https");
    assert_eq!(docs.hits("/client.json"), 0);
}

#[tokio::test]
async fn urls_with_a_fragment_or_user_info_are_not_document_ids() {
    let docs = DocServer::start().await;
    let client_id = docs.serve_valid("/client.json", None);
    let app = insecure_app().await;
    let with_fragment = format!("{client_id}#x");
    assert_mentions(&authorize_refused(&app, &with_fragment, &[]).await, "must not have a fragment");
    let with_user = client_id.replace("http://", "http://user@");
    assert_mentions(&authorize_refused(&app, &with_user, &[]).await, "must not contain a user name or password");
    let with_dots = docs.url("/a/../client.json");
    assert_mentions(&authorize_refused(&app, &with_dots, &[]).await, "path segments");
    assert_eq!(docs.hits("/client.json"), 0);
    for bad in [with_fragment, with_user] {
        let resp = app.token(&[("grant_type", "authorization_code"), ("client_id", &bad), ("code", "x")]).await;
        assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    }
}

#[tokio::test]
async fn cache_headers_are_honoured() {
    let docs = DocServer::start().await;
    let cached = docs.serve_valid("/cached.json", Some("public, max-age=600"));
    let uncached = docs.serve_valid("/nostore.json", Some("no-store"));
    let app = insecure_app().await;
    for client_id in [&cached, &cached, &uncached, &uncached] {
        app.open_login(&app.authorize_url(client_id, &new_verifier(), &[])).await;
    }
    assert_eq!(docs.hits("/cached.json"), 1, "second authorize within max-age must not refetch");
    assert_eq!(docs.hits("/nostore.json"), 2, "no-store must refetch");

    // Failures are never cached: a fixed document is used on the next request.
    let late = docs.url("/late.json");
    authorize_refused(&app, &late, &[]).await;
    docs.serve_valid("/late.json", None);
    app.open_login(&app.authorize_url(&late, &new_verifier(), &[])).await;
    assert_eq!(docs.hits("/late.json"), 2);
}

#[tokio::test]
async fn token_endpoint_refuses_a_client_whose_document_is_gone() {
    let docs = DocServer::start().await;
    let client_id = docs.serve_valid("/client.json", Some("no-store"));
    let app = insecure_app().await;
    app.add_user("carol").await;
    let (code, pending) = app.authorize_code_for(&client_id, "carol").await;
    docs.serve("/client.json", Served { status: 404, ..Served::json(&json!({})) });
    let resp = app.exchange(&code, &pending).await;
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let revoke = [("token", "whatever"), ("client_id", client_id.as_str())];
    let resp = app.http.post(format!("{}/revoke", app.as_url)).form(&revoke).send().await.unwrap();
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
    assert!(refused_events(&app, &client_id).await >= 2);
}

#[tokio::test]
async fn metadata_advertises_client_id_metadata_documents() {
    let app = production_app().await;
    for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
        let meta: Value = app.http.get(format!("{}{path}", app.as_url)).send().await.unwrap().json().await.unwrap();
        assert_eq!(meta["client_id_metadata_document_supported"], true, "{path}: {meta}");
    }
}
