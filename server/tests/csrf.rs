//! CSRF tokens are bound to what the form acts on, not just to the cookie: on a plain-http issuer
//! (no `__Host-` prefix) a sibling host can plant a CSRF cookie whose value it knows, so a token
//! must also need the pending request (login, consent) or the victim's login session (account).
//! Posts the browser marks as coming from a sibling origin or another site are refused outright.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Response, StatusCode};

use crate::common::{hidden_field, new_verifier, spawn_app, LoginForm, TestApp, PASSWORD};

/// GET `url` with `cookies`.
async fn get_with(app: &TestApp, url: &str, cookies: &str) -> Response {
    app.http.get(url).header(COOKIE, cookies).send().await.unwrap()
}

/// A second login page in the browser that holds `first`'s cookie.
async fn another_request_same_browser(app: &TestApp, client: &str, first: &LoginForm) -> LoginForm {
    let resp = get_with(app, &app.authorize_url(client, &new_verifier(), &[]), &first.cookie).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get(SET_COOKIE).is_none(), "the browser's CSRF cookie is reused");
    let html = resp.text().await.unwrap();
    LoginForm {
        request_id: hidden_field(&html, "request_id").unwrap(),
        csrf: hidden_field(&html, "csrf").unwrap(),
        cookie: first.cookie.clone(),
    }
}

async fn assert_csrf_refused(resp: Response) {
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("CSRF check failed"));
}

/// `name=value` of the cookie called `name` that `resp` sets.
fn set_cookie(resp: &Response, name: &str) -> String {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} cookie"))
}

#[tokio::test]
async fn a_token_minted_for_one_pending_request_is_refused_for_another() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let first = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let second = another_request_same_browser(&app, &client, &first).await;
    assert_ne!(first.csrf, second.csrf, "each request gets its own token");
    assert!(!first.cookie.contains(&first.csrf), "the form never carries the cookie's secret");
    // The first request's cookie/token pair, aimed at the second request: refused, both forms.
    let crossed = LoginForm { request_id: second.request_id.clone(), ..first.clone() };
    assert_csrf_refused(app.login(&crossed, "alice", PASSWORD).await).await;
    assert_eq!(app.login(&second, "alice", PASSWORD).await.status(), StatusCode::OK, "consent page");
    assert_csrf_refused(app.decide(&crossed, "allow").await).await;
    // Each form still works with its own token.
    assert_eq!(app.decide(&second, "allow").await.status(), StatusCode::FOUND);
    assert_eq!(app.login(&first, "alice", PASSWORD).await.status(), StatusCode::FOUND, "remembered consent");
}

#[tokio::test]
async fn a_planted_csrf_cookie_cannot_act_on_the_victims_account() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    // The victim signs in: their browser holds a CSRF cookie and a login session.
    let victim = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let resp = app.login(&victim, "alice", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let session = set_cookie(&resp, "mcp_as_session");
    // The attacker gets a validly signed CSRF cookie, its secret and a form token in their own
    // browser, and plants that cookie in the victim's (a sibling host can, without `__Host-`).
    let attacker = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let secret = attacker.cookie.trim_start_matches("mcp_as_csrf=").split('.').next().unwrap().to_owned();
    let victim_jar = format!("{}; {session}", attacker.cookie);
    for token in [secret.as_str(), attacker.csrf.as_str()] {
        assert_csrf_refused(app.post_form("/account/logout", Some(&victim_jar), &[("csrf", token)]).await).await;
        let fields = [("csrf", token), ("client_id", client.as_str())];
        assert_csrf_refused(app.post_form("/account/revoke", Some(&victim_jar), &fields).await).await;
    }
    // The victim is still signed in, and their own page's token works.
    let html = get_with(&app, &format!("{}/account", app.as_url), &victim_jar).await.text().await.unwrap();
    assert!(html.contains("Signed in as alice"), "{html}");
    let own = hidden_field(&html, "csrf").unwrap();
    let resp = app.post_form("/account/logout", Some(&victim_jar), &[("csrf", &own)]).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn a_form_posted_from_a_sibling_origin_is_refused() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let fields =
        [("request_id", form.request_id.as_str()), ("csrf", &form.csrf), ("username", "alice"), ("password", PASSWORD)];
    let post = |site: &'static str| {
        app.http
            .post(format!("{}/authorize/login", app.as_url))
            .header(COOKIE, &form.cookie)
            .header("Sec-Fetch-Site", site)
            .form(&fields)
            .send()
    };
    for site in ["same-site", "cross-site"] {
        assert_csrf_refused(post(site).await.unwrap()).await;
    }
    assert_eq!(post("same-origin").await.unwrap().status(), StatusCode::OK, "the AS's own page");
}
