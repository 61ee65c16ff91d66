//! The authorization endpoint and its login/consent pages under attack: untrusted clients and
//! redirect URIs get an error page (never a redirect), everything else is reported to the client
//! with `state` and `iss`; the forms are bound to the browser that opened them.

use std::collections::HashMap;

use reqwest::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE, X_FRAME_OPTIONS,
};
use reqwest::{Response, StatusCode};

use crate::common::{
    assert_too_large, new_verifier, send_all_at_once, spawn_app, LoginForm, TestApp, PASSWORD, RACERS, REDIRECT_URI,
};

const STALE: &str = "expired or was already used";

/// The query parameters of a 302's `Location`, which must point at the registered redirect URI.
fn redirect_params(resp: &Response) -> HashMap<String, String> {
    assert_eq!(resp.status(), StatusCode::FOUND, "redirect expected");
    let location = url::Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert_eq!(&location[..url::Position::AfterPath], REDIRECT_URI, "redirect target");
    location.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// A redirect carrying `error=code`, our `state` and `iss`, and no code.
fn assert_error_redirect(app: &TestApp, resp: &Response, code: &str) {
    let q = redirect_params(resp);
    assert_eq!(q.get("error").map(String::as_str), Some(code), "{q:?}");
    assert_eq!(q.get("state").map(String::as_str), Some("st4te"), "{q:?}");
    assert_eq!(q.get("iss").map(String::as_str), Some(app.as_url.as_str()), "{q:?}");
    assert!(!q.contains_key("code"), "no code on an error redirect: {q:?}");
}

/// An HTML error page with `status`, no redirect, mentioning `needle`.
async fn assert_page(resp: Response, status: StatusCode, needle: &str) -> String {
    assert_eq!(resp.status(), status, "page status");
    assert!(resp.headers().get(LOCATION).is_none(), "an error page must never redirect");
    let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/html"), "{ct}");
    let html = resp.text().await.unwrap();
    assert!(html.contains(needle), "expected {needle:?} in {html}");
    html
}

async fn get(app: &TestApp, url: &str) -> Response {
    app.http.get(url).send().await.unwrap()
}

async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client_id = app.register_client().await;
    (app, client_id)
}

/// A login form from a fresh browser (no cookie yet).
async fn fresh_login(app: &TestApp, client_id: &str) -> LoginForm {
    app.open_login(&app.authorize_url(client_id, &new_verifier(), &[])).await
}

#[tokio::test]
async fn unknown_or_missing_client_gets_a_page_not_a_redirect() {
    let (app, _) = setup().await;
    let url =
        app.authorize_url("c_doesnotexist", &new_verifier(), &[("redirect_uri", Some("https://evil.example/cb"))]);
    assert_page(get(&app, &url).await, StatusCode::BAD_REQUEST, "unknown client").await;
    let url = app.authorize_url("ignored", &new_verifier(), &[("client_id", None)]);
    assert_page(get(&app, &url).await, StatusCode::BAD_REQUEST, "no client_id").await;
}

#[tokio::test]
async fn unregistered_redirect_uris_get_a_page_not_a_redirect() {
    let (app, client_id) = setup().await;
    let variants = [
        format!("{REDIRECT_URI}x"),
        format!("{REDIRECT_URI}/"),
        format!("{REDIRECT_URI}?next=1"),
        "http://127.0.0.1:18080/callbac".to_owned(),
        "http://localhost:18080/callback".to_owned(),
        "https://evil.example/callback".to_owned(),
    ];
    for uri in &variants {
        let url = app.authorize_url(&client_id, &new_verifier(), &[("redirect_uri", Some(uri))]);
        assert_page(get(&app, &url).await, StatusCode::BAD_REQUEST, "does not match").await;
    }
    // Even when the request has other errors that would normally be redirected.
    let url = app.authorize_url(
        &client_id,
        &new_verifier(),
        &[("redirect_uri", Some("https://evil.example/cb")), ("code_challenge", None)],
    );
    assert_page(get(&app, &url).await, StatusCode::BAD_REQUEST, "does not match").await;
    let url = app.authorize_url(&client_id, &new_verifier(), &[("redirect_uri", None)]);
    assert_page(get(&app, &url).await, StatusCode::BAD_REQUEST, "no redirect_uri").await;
}

#[tokio::test]
async fn duplicate_parameters_get_a_page() {
    let (app, client_id) = setup().await;
    for dup in ["scope=user", "redirect_uri=https%3A%2F%2Fevil.example%2Fcb", "state=other", "client_id=c_other"] {
        let url = format!("{}&{dup}", app.authorize_url(&client_id, &new_verifier(), &[]));
        assert_page(get(&app, &url).await, StatusCode::BAD_REQUEST, "more than once").await;
    }
}

/// Authorization-request parameters to override (`Some`) or remove (`None`).
type Overrides<'a> = Vec<(&'a str, Option<&'a str>)>;

#[tokio::test]
async fn request_errors_redirect_with_state_and_iss() {
    let (app, client_id) = setup().await;
    let plain_verifier = new_verifier();
    let too_long_state = "s".repeat(1025);
    let other_resource = format!("{}/other", app.rs_url);
    let cases: Vec<(Overrides, &str)> = vec![
        (vec![("code_challenge", None)], "invalid_request"),
        (
            vec![("code_challenge_method", Some("plain")), ("code_challenge", Some(plain_verifier.as_str()))],
            "invalid_request",
        ),
        (vec![("code_challenge_method", Some("plain"))], "invalid_request"),
        (vec![("code_challenge_method", None)], "invalid_request"),
        (vec![("code_challenge_method", Some("s256"))], "invalid_request"),
        (vec![("code_challenge", Some("tooshort"))], "invalid_request"),
        (vec![("code_challenge", Some("+++++++++++++++++++++++++++++++++++++++++++"))], "invalid_request"),
        (vec![("response_type", Some("token"))], "unsupported_response_type"),
        (vec![("response_type", Some("code id_token"))], "unsupported_response_type"),
        (vec![("response_type", None)], "invalid_request"),
        (vec![("scope", Some("admin"))], "invalid_scope"),
        (vec![("scope", Some("user admin"))], "invalid_scope"),
        (vec![("resource", Some("https://evil.example/mcp"))], "invalid_target"),
        (vec![("resource", Some(other_resource.as_str()))], "invalid_target"),
    ];
    for (overrides, code) in &cases {
        let url = app.authorize_url(&client_id, &new_verifier(), overrides);
        let resp = get(&app, &url).await;
        assert!(resp.headers().get(SET_COOKIE).is_none(), "{overrides:?}: no sign-in for a refused request");
        assert_error_redirect(&app, &resp, code);
    }
    // An oversized state is refused too (and is not a way to inflate storage).
    let url = app.authorize_url(&client_id, &new_verifier(), &[("state", Some(&too_long_state))]);
    let q = redirect_params(&get(&app, &url).await);
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["iss"], app.as_url);
}

#[tokio::test]
async fn login_page_is_unframeable_uncacheable_and_sets_a_strict_cookie() {
    let (app, client_id) = setup().await;
    let resp = get(&app, &app.authorize_url(&client_id, &new_verifier(), &[])).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert_eq!(h[X_FRAME_OPTIONS], "DENY");
    assert!(h[CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h[CACHE_CONTROL], "no-store");
    let cookie = h[SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    // Error pages carry the same protections.
    let resp = get(&app, &app.authorize_url("c_unknown", &new_verifier(), &[])).await;
    assert_eq!(resp.headers()[X_FRAME_OPTIONS], "DENY");
    assert_eq!(resp.headers()[CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let (app, client_id) = setup().await;
    let form = fresh_login(&app, &client_id).await;
    let wrong = "not-the-password-1234";
    let html =
        assert_page(app.login(&form, "alice", wrong).await, StatusCode::UNAUTHORIZED, "Invalid username or password")
            .await;
    assert!(!html.contains(wrong), "the password must not be echoed");
    let unknown = assert_page(
        app.login(&form, "mallory", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "Invalid username or password",
    )
    .await;
    let alert = |html: &str| html.split("role=\"alert\">").nth(1).and_then(|s| s.split('<').next()).map(str::to_owned);
    assert_eq!(alert(&html), alert(&unknown), "same message for unknown user and wrong password");
    // The request survives a few failures: the right password still leads to consent.
    let resp = app.login(&form, "alice", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("name=\"decision\""));
}

#[tokio::test]
async fn five_wrong_passwords_discard_the_request() {
    let (app, client_id) = setup().await;
    let form = fresh_login(&app, &client_id).await;
    for _ in 0..4 {
        assert_eq!(app.login(&form, "alice", "wrong-password").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_page(app.login(&form, "alice", "wrong-password").await, StatusCode::TOO_MANY_REQUESTS, "Too many").await;
    assert_page(app.login(&form, "alice", PASSWORD).await, StatusCode::BAD_REQUEST, STALE).await;
    assert_page(app.decide(&form, "allow").await, StatusCode::BAD_REQUEST, STALE).await;
}

#[tokio::test]
async fn login_without_the_browser_cookie_is_forbidden() {
    let (app, client_id) = setup().await;
    let form = fresh_login(&app, &client_id).await;
    let fields =
        [("request_id", form.request_id.as_str()), ("csrf", &form.csrf), ("username", "alice"), ("password", PASSWORD)];
    assert_page(app.post_form("/authorize/login", None, &fields).await, StatusCode::FORBIDDEN, "CSRF").await;

    // Another browser's cookie, alone or together with that browser's own form token.
    let other = fresh_login(&app, &client_id).await;
    assert_ne!(other.cookie, form.cookie);
    let foreign_cookie = LoginForm { cookie: other.cookie.clone(), ..form.clone() };
    assert_page(app.login(&foreign_cookie, "alice", PASSWORD).await, StatusCode::FORBIDDEN, "CSRF").await;
    let foreign_pair = LoginForm { request_id: form.request_id.clone(), ..other.clone() };
    assert_page(app.login(&foreign_pair, "alice", PASSWORD).await, StatusCode::FORBIDDEN, "CSRF").await;

    // The right cookie with a wrong form token.
    let wrong_csrf = LoginForm { csrf: server::oauth::secrets::random_token(), ..form.clone() };
    assert_page(app.login(&wrong_csrf, "alice", PASSWORD).await, StatusCode::FORBIDDEN, "CSRF").await;

    // None of that hurt the real browser.
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn consent_before_login_is_refused() {
    let (app, client_id) = setup().await;
    let form = fresh_login(&app, &client_id).await;
    assert_page(app.decide(&form, "allow").await, StatusCode::BAD_REQUEST, "Sign in before").await;
    // Still refused after a failed login.
    assert_eq!(app.login(&form, "alice", "wrong-password").await.status(), StatusCode::UNAUTHORIZED);
    assert_page(app.decide(&form, "allow").await, StatusCode::BAD_REQUEST, "Sign in before").await;
}

#[tokio::test]
async fn consent_cannot_be_replayed() {
    let (app, client_id) = setup().await;
    let form = fresh_login(&app, &client_id).await;
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
    let first = app.decide(&form, "allow").await;
    assert!(redirect_params(&first).contains_key("code"));
    assert_page(app.decide(&form, "allow").await, StatusCode::BAD_REQUEST, STALE).await;
    assert_page(app.decide(&form, "deny").await, StatusCode::BAD_REQUEST, STALE).await;
    // Nor can the consumed request be signed into again.
    assert_page(app.login(&form, "alice", PASSWORD).await, StatusCode::BAD_REQUEST, STALE).await;
}

#[tokio::test]
async fn deny_redirects_access_denied_without_a_code() {
    let (app, client_id) = setup().await;
    let form = fresh_login(&app, &client_id).await;
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
    let resp = app.decide(&form, "deny").await;
    assert_error_redirect(&app, &resp, "access_denied");
    assert_page(app.decide(&form, "allow").await, StatusCode::BAD_REQUEST, STALE).await;
}

#[tokio::test]
async fn consent_decision_must_be_allow_or_deny() {
    let (app, client_id) = setup().await;
    let form = fresh_login(&app, &client_id).await;
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
    for decision in ["maybe", "ALLOW", ""] {
        assert_page(app.decide(&form, decision).await, StatusCode::BAD_REQUEST, "Choose Allow or Deny").await;
    }
    let fields = [("request_id", form.request_id.as_str()), ("csrf", &form.csrf)];
    let resp = app.post_form("/authorize/consent", Some(&form.cookie), &fields).await;
    assert_page(resp, StatusCode::BAD_REQUEST, "Choose Allow or Deny").await;
}

#[tokio::test]
async fn consent_form_cannot_be_used_by_another_browser() {
    let (app, client_id) = setup().await;
    let form = fresh_login(&app, &client_id).await;
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
    let other = fresh_login(&app, &client_id).await;
    let foreign_cookie = LoginForm { cookie: other.cookie.clone(), ..form.clone() };
    assert_page(app.decide(&foreign_cookie, "allow").await, StatusCode::FORBIDDEN, "CSRF").await;
    let foreign_pair = LoginForm { request_id: form.request_id.clone(), ..other.clone() };
    assert_page(app.decide(&foreign_pair, "allow").await, StatusCode::FORBIDDEN, "CSRF").await;
    let fields = [("request_id", form.request_id.as_str()), ("csrf", &form.csrf), ("decision", "allow")];
    assert_page(app.post_form("/authorize/consent", None, &fields).await, StatusCode::FORBIDDEN, "CSRF").await;
    // The owner's form still works, exactly once.
    assert!(redirect_params(&app.decide(&form, "allow").await).contains_key("code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_consents_issue_exactly_one_code() {
    let (app, client_id) = setup().await;
    let form = fresh_login(&app, &client_id).await;
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
    let fields = [("request_id", form.request_id.as_str()), ("csrf", &form.csrf), ("decision", "allow")];
    let url = format!("{}/authorize/consent", app.as_url);
    let requests = (0..RACERS).map(|_| app.http.post(&url).header(COOKIE, &form.cookie).form(&fields)).collect();
    let mut codes = Vec::new();
    for resp in send_all_at_once(requests).await {
        if resp.status() == StatusCode::FOUND {
            codes.push(redirect_params(&resp).remove("code").expect("code"));
        } else {
            assert_page(resp, StatusCode::BAD_REQUEST, STALE).await;
        }
    }
    assert_eq!(codes.len(), 1, "exactly one of {RACERS} simultaneous consents may issue a code");
}

#[tokio::test]
async fn state_round_trips_without_parameter_injection() {
    let (app, client_id) = setup().await;
    let state = "a&iss=https://evil.example&code=forged #\"<>";
    // On an error redirect…
    let url = app.authorize_url(&client_id, &new_verifier(), &[("state", Some(state)), ("scope", Some("admin"))]);
    let resp = get(&app, &url).await;
    let location = url::Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
    let pairs: Vec<(String, String)> = location.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    assert_eq!(pairs.iter().filter(|(k, _)| k == "iss").count(), 1, "{pairs:?}");
    assert!(!pairs.iter().any(|(k, _)| k == "code"), "{pairs:?}");
    assert!(pairs.contains(&("state".to_owned(), state.to_owned())), "{pairs:?}");
    assert!(pairs.contains(&("iss".to_owned(), app.as_url.clone())), "{pairs:?}");
    // …and on success.
    let form = app.open_login(&app.authorize_url(&client_id, &new_verifier(), &[("state", Some(state))])).await;
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK);
    let resp = app.decide(&form, "allow").await;
    let location = url::Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
    let pairs: Vec<(String, String)> = location.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    assert_eq!(pairs.iter().filter(|(k, _)| k == "iss" || k == "code").count(), 2, "{pairs:?}");
    assert!(pairs.contains(&("state".to_owned(), state.to_owned())), "{pairs:?}");
}

#[tokio::test]
async fn pages_escape_client_name_and_username() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let resp = app
        .register(serde_json::json!({"redirect_uris": [REDIRECT_URI], "client_name": "<script>alert(1)</script>"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let client_id = resp.json::<serde_json::Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    let resp = get(&app, &app.authorize_url(&client_id, &new_verifier(), &[])).await;
    let html = resp.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "client_name must be escaped: {html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");

    let form = fresh_login(&app, &client_id).await;
    let evil = "\"><script>alert(2)</script>";
    let html =
        assert_page(app.login(&form, evil, "x").await, StatusCode::UNAUTHORIZED, "Invalid username or password").await;
    assert!(!html.contains("<script>alert(2)"), "username must be escaped: {html}");
    let html = app.login(&form, "alice", PASSWORD).await.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"), "consent page must escape client_name: {html}");
}

#[tokio::test]
async fn oversized_login_form_is_413_and_signs_nobody_in() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let padding = "x".repeat(20 * 1024);
    let resp = app
        .post_form(
            "/authorize/login",
            Some(&form.cookie),
            &[
                ("request_id", &form.request_id),
                ("csrf", &form.csrf),
                ("username", "alice"),
                ("password", PASSWORD),
                ("pad", &padding),
            ],
        )
        .await;
    assert_too_large(resp, "/authorize/login").await;
    // The request was not signed in: consent is still refused.
    assert_page(app.decide(&form, "allow").await, StatusCode::BAD_REQUEST, "Sign in before").await;
}
