//! Login-session lifetime (README: "a session cookie (random, hash stored, 8 h), so the next
//! authorization skips the password"): within the lifetime `/authorize` skips the login page, and
//! once it has passed it no longer does. Time is controlled, not waited for: the store is asked at
//! explicit times, and the stored session is aged as the passing hours would age it.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::StatusCode;

use crate::common::{new_verifier, spawn_app, TestApp, PASSWORD};

const SESSION_TTL: i64 = 8 * 3600;

/// Signs alice in through `client` (leaving the consent undecided); returns the browser's
/// cookie header, the session id inside the session cookie, and the cookie's attributes.
async fn sign_in(app: &TestApp, client: &str) -> (String, String, String) {
    let form = app.open_login(&app.authorize_url(client, &new_verifier(), &[])).await;
    let resp = app.login(&form, "alice", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK, "consent page expected");
    let raw = resp
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("mcp_as_session="))
        .expect("session cookie");
    let pair = raw.split(';').next().unwrap().to_owned();
    // The value is `<id>.<tag>`; the store keeps the id's hash.
    let id = pair.trim_start_matches("mcp_as_session=").split('.').next().unwrap().to_owned();
    (format!("{}; {pair}", form.cookie), id, raw)
}

/// What `/authorize` shows this browser: the login page (`true`) or, signed in, the consent page.
async fn asks_for_password(app: &TestApp, client: &str, cookies: &str) -> bool {
    let resp =
        app.http.get(app.authorize_url(client, &new_verifier(), &[])).header(COOKIE, cookies).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    let login = html.contains("name=\"password\"");
    assert_ne!(login, html.contains("name=\"decision\""), "either the login or the consent page: {html}");
    login
}

/// Moves every stored login session `secs` into the past, as if that much time had passed.
async fn age_sessions(app: &TestApp, secs: i64) {
    let changed = app
        .sql("UPDATE login_sessions SET created_at = created_at - ?, expires_at = expires_at - ?", &[secs, secs])
        .await;
    assert_eq!(changed, 1, "one session expected");
}

#[tokio::test]
async fn a_login_session_skips_the_password_for_its_lifetime_and_no_longer() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let before = server::store::now();
    let (cookies, id, raw) = sign_in(&app, &client).await;
    let after = server::store::now();
    assert!(raw.contains(&format!("Max-Age={SESSION_TTL}")), "the cookie lasts as long as the session: {raw}");

    // In the store: alive until `SESSION_TTL` after the sign-in, not a second longer.
    let hash = server::oauth::secrets::hash(&id);
    let user = app.store.login_session_user(&hash, before + SESSION_TTL - 1).await.unwrap();
    assert_eq!(user.map(|u| u.username).as_deref(), Some("alice"));
    assert!(app.store.login_session_user(&hash, after + SESSION_TTL).await.unwrap().is_none());
    let [created, expires] = app.sql_row("SELECT created_at, expires_at FROM login_sessions").await[..] else {
        panic!("one session row expected")
    };
    assert!((before..=after).contains(&created), "{created} not in {before}..={after}");
    assert_eq!(expires - created, SESSION_TTL);

    // Over HTTP: right after the sign-in, and with ten minutes of the lifetime left, no password.
    assert!(!asks_for_password(&app, &client, &cookies).await, "the session skips the login page");
    age_sessions(&app, SESSION_TTL - 600).await;
    assert!(!asks_for_password(&app, &client, &cookies).await, "still within the session's lifetime");
    // Once the lifetime has passed, the same cookie no longer signs anybody in.
    age_sessions(&app, 601).await;
    assert!(asks_for_password(&app, &client, &cookies).await, "an expired session must not skip the password");
}

#[tokio::test]
async fn signing_in_again_after_expiry_starts_a_fresh_session() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let (old_cookies, old_id, _) = sign_in(&app, &client).await;
    age_sessions(&app, SESSION_TTL + 1).await;
    assert!(asks_for_password(&app, &client, &old_cookies).await);
    let (cookies, id, _) = sign_in(&app, &client).await;
    assert_ne!(id, old_id, "a new session id");
    assert!(!asks_for_password(&app, &client, &cookies).await, "the new session skips the password");
    assert!(asks_for_password(&app, &client, &old_cookies).await, "the expired one still does not");
}
