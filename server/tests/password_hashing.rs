//! argon2 never runs on the async workers: a flood of sign-ins cannot stall the other endpoints,
//! and when every hashing permit is taken a sign-in gets 503 with `Retry-After` (never a 500),
//! without counting against the account.

use std::time::Instant;

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;

use server::store::NewUser;

use crate::common::{new_verifier, spawn_app_with, PASSWORD};

/// A PHC string with 1 MiB × 400 passes (the default is 19 MiB × 2): about ten times the work.
const SLOW_HASH: &str =
    "$argon2id$v=19$m=1024,t=400,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[tokio::test]
async fn a_sign_in_finding_every_hashing_permit_taken_gets_503_with_retry_after() {
    let app = spawn_app_with(|c| c.password_hashing_concurrency = Some(1)).await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let held = app.passwords.try_permit().expect("the only permit");
    let resp = app.login(&form, "alice", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers().get(RETRY_AFTER).map(|v| v.to_str().unwrap()), Some("1"));
    assert!(resp.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(resp.text().await.unwrap().contains("Try again in a moment"));
    // Nothing was counted against the account or the request: once a permit is free, it works.
    let rows = app.sql_row("SELECT COUNT(*) FROM login_throttle").await;
    assert_eq!(rows, [0], "a refused attempt is not a failure");
    drop(held);
    assert_eq!(app.login(&form, "alice", PASSWORD).await.status(), StatusCode::OK, "consent page");
    assert_eq!(app.passwords.available(), 1, "the permit came back after the check");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn other_endpoints_answer_while_sign_ins_are_hashing() {
    const LOGINS: usize = 20;
    let app = spawn_app_with(|c| {
        c.password_hashing_concurrency = Some(u16::try_from(LOGINS).unwrap());
        c.login_failures_per_address = 10_000;
    })
    .await;
    let client = app.register_client().await;
    // Accounts whose stored hashes ask for ten times the default argon2 work (the check of a
    // wrong password costs the full work whatever the hash says), so that each sign-in hashes
    // far longer than a metadata request takes, on any machine.
    for i in 0..LOGINS {
        let user = NewUser {
            username: &format!("slow{i}"),
            password_hash: SLOW_HASH.into(),
            display_name: "Slow",
            email: None,
        };
        app.store.create_user(user, server::store::now()).await.unwrap();
    }
    // Every login form first, then every sign-in at once: a sign-in sent while later forms were
    // still being fetched could finish hashing before the checks below begin (seen on a loaded
    // machine), and prove nothing either way.
    let mut forms = Vec::new();
    for _ in 0..LOGINS {
        forms.push(app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await);
    }
    let mut logins = Vec::new();
    for (i, form) in forms.into_iter().enumerate() {
        let fields = [
            ("request_id", form.request_id),
            ("csrf", form.csrf),
            ("username", format!("slow{i}")),
            ("password", "wrong password!".to_owned()),
        ];
        let req = app
            .http
            .post(format!("{}/authorize/login", app.as_url))
            .header(reqwest::header::COOKIE, form.cookie)
            .form(&fields);
        logins.push(tokio::spawn(async move {
            let status = req.send().await.unwrap().status();
            (status, Instant::now())
        }));
    }
    // Once argon2 is running for at least one of them, ask for the JWKS and the metadata.
    while app.passwords.available() == LOGINS {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    for path in ["/jwks", "/.well-known/oauth-authorization-server"] {
        assert_eq!(app.http.get(format!("{}{path}", app.as_url)).send().await.unwrap().status(), StatusCode::OK);
    }
    let answered = Instant::now();
    let mut first_login = None::<Instant>;
    for login in logins {
        let (status, done) = login.await.unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "every sign-in was evaluated");
        first_login = Some(first_login.map_or(done, |f| f.min(done)));
    }
    assert!(answered < first_login.unwrap(), "the other endpoints answered before any sign-in finished hashing");
}
