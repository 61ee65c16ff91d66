//! Login sessions and remembered consent: a second authorization in the same browser skips the
//! password, and the consent page too when the user already allowed that client these scopes.
//! The user sees and revokes grants on /account.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use url::Url;

use crate::common::{hidden_field, new_verifier, spawn_app, LoginForm, TestApp, PASSWORD};

/// Every `name=value` the response sets.
fn set_cookies(resp: &Response) -> Vec<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect()
}

/// Signs alice in through `client` and allows; returns the browser's cookie header.
async fn signed_in_browser(app: &TestApp, client: &str) -> String {
    let form = app.open_login(&app.authorize_url(client, &new_verifier(), &[])).await;
    let resp = app.login(&form, "alice", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let raw = resp.headers().get(SET_COOKIE).expect("session cookie").to_str().unwrap().to_owned();
    assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Lax"), "{raw}");
    let session = set_cookies(&resp).into_iter().find(|c| c.starts_with("mcp_as_session=")).expect("session");
    assert_eq!(app.decide(&form, "allow").await.status(), StatusCode::FOUND);
    format!("{}; {session}", form.cookie)
}

async fn get_with(app: &TestApp, url: &str, cookies: &str) -> Response {
    app.http.get(url).header(COOKIE, cookies).send().await.unwrap()
}

#[tokio::test]
async fn remembered_consent_goes_straight_back_with_a_working_code() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let cookies = signed_in_browser(&app, &client).await;
    let verifier = new_verifier();
    let resp = get_with(&app, &app.authorize_url(&client, &verifier, &[]), &cookies).await;
    assert_eq!(resp.status(), StatusCode::FOUND, "no password, no consent page");
    let location = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("code");
    assert!(location.query_pairs().any(|(k, v)| k == "iss" && v == app.as_url));
    let pending = crate::common::Pending { client_id: client, verifier, state: "st4te".into() };
    assert_eq!(app.exchange(&code, &pending).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_login_session_skips_the_password_but_a_new_client_still_asks_for_consent() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let first = app.register_client().await;
    let cookies = signed_in_browser(&app, &first).await;
    let second = app.register_client().await;
    let resp = get_with(&app, &app.authorize_url(&second, &new_verifier(), &[]), &cookies).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("name=\"decision\" value=\"allow\""), "consent page expected");
    assert!(!html.contains("name=\"password\""), "no password asked");
    // The consent form works with the session's pending request.
    let csrf_cookie = cookies.split("; ").next().unwrap().to_owned();
    let form = LoginForm {
        request_id: hidden_field(&html, "request_id").unwrap(),
        csrf: hidden_field(&html, "csrf").unwrap(),
        cookie: csrf_cookie,
    };
    assert_eq!(app.decide(&form, "allow").await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn denial_is_not_remembered_and_no_session_means_the_login_page() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let resp = app.login(&form, "alice", PASSWORD).await;
    let session = set_cookies(&resp).into_iter().find(|c| c.starts_with("mcp_as_session=")).unwrap();
    assert_eq!(app.decide(&form, "deny").await.status(), StatusCode::FOUND);
    let cookies = format!("{}; {session}", form.cookie);
    let resp = get_with(&app, &app.authorize_url(&client, &new_verifier(), &[]), &cookies).await;
    assert_eq!(resp.status(), StatusCode::OK, "asked again after a denial");
    assert!(resp.text().await.unwrap().contains("value=\"allow\""));
    // A forged or unknown session cookie is just no session.
    let forged = format!("{}; mcp_as_session={}", form.cookie, "A".repeat(43));
    let resp = get_with(&app, &app.authorize_url(&client, &new_verifier(), &[]), &forged).await;
    assert!(resp.text().await.unwrap().contains("name=\"password\""));
}

#[tokio::test]
async fn the_user_revokes_a_grant_on_the_account_page() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let cookies = signed_in_browser(&app, &client).await;
    let token = {
        let verifier = new_verifier();
        let resp = get_with(&app, &app.authorize_url(&client, &verifier, &[]), &cookies).await;
        let location = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
        let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
        let pending = crate::common::Pending { client_id: client.clone(), verifier, state: "st4te".into() };
        let body: serde_json::Value = app.exchange(&code, &pending).await.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    let page = get_with(&app, &format!("{}/account", app.as_url), &cookies).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(html.contains("Signed in as alice") && html.contains(&client), "grant listed");
    let csrf = hidden_field(&html, "csrf").unwrap();
    // CSRF: a form without the right token is refused and changes nothing.
    let resp = app.post_form("/account/revoke", Some(&cookies), &[("csrf", "forged"), ("client_id", &client)]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.introspect(&token).await["active"], true);
    let resp = app.post_form("/account/revoke", Some(&cookies), &[("csrf", &csrf), ("client_id", &client)]).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(app.introspect(&token).await["active"], false, "the client's tokens die with the grant");
    // ... at the resource server too, which verifies JWTs locally: within a second.
    let mcp = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    while app.mcp_post(Some(&token), None, &mcp).await.status() != StatusCode::UNAUTHORIZED {
        assert!(std::time::Instant::now() < deadline, "the revoked grant still works at /mcp");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The next authorization asks for consent again.
    let resp = get_with(&app, &app.authorize_url(&client, &new_verifier(), &[]), &cookies).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("value=\"allow\""));
}

#[tokio::test]
async fn signing_out_ends_the_login_session() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let cookies = signed_in_browser(&app, &client).await;
    let html = get_with(&app, &format!("{}/account", app.as_url), &cookies).await.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let resp = app.post_form("/account/logout", Some(&cookies), &[("csrf", &csrf)]).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(resp.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    // Even if the browser kept the old cookie, the session is gone server-side.
    let resp = get_with(&app, &app.authorize_url(&client, &new_verifier(), &[]), &cookies).await;
    assert!(resp.text().await.unwrap().contains("name=\"password\""), "password asked again");
    let html = get_with(&app, &format!("{}/account", app.as_url), &cookies).await.text().await.unwrap();
    assert!(html.contains("Not signed in"));
}

#[tokio::test]
async fn after_a_password_login_remembered_consent_skips_the_consent_page() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    signed_in_browser(&app, &client).await;
    // A new browser (no session): password asked, but no consent page afterwards.
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let resp = app.login(&form, "alice", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert!(resp.headers()[LOCATION].to_str().unwrap().contains("code="));
}
