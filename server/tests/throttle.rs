//! Sign-in throttling. Per account: after five failures for a username (existing or not) each
//! further failure doubles a lock-out window, during which even the right password is refused
//! with the same answer for real and unknown accounts. Per address: one source spraying
//! passwords over many usernames is slowed down too; `X-Forwarded-For` counts only from a
//! configured trusted proxy, so a client cannot dodge the limit by inventing addresses.

use reqwest::StatusCode;

use server::store::{Reservation, ThrottlePolicy};

use crate::common::{new_verifier, send_all_at_once, spawn_app, spawn_app_with, LoginForm, TestApp, PASSWORD, RACERS};

async fn fail_five_times(app: &TestApp, client: &str, username: &str) {
    for _ in 0..5 {
        // A new request each time: the per-request limit is not what is tested here.
        let form = app.open_login(&app.authorize_url(client, &new_verifier(), &[])).await;
        assert_eq!(app.login(&form, username, "wrong password!").await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn an_account_under_attack_is_locked_for_a_while_whatever_the_password() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    fail_five_times(&app, &client, "alice").await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let resp = app.login(&form, "Alice", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "usernames are throttled case-insensitively");
    let html = resp.text().await.unwrap();
    assert!(html.contains("Too many failed sign-in attempts"), "{html}");
    assert!(!html.contains("value=\"allow\""), "no consent page while locked");
    // Another account is not affected.
    app.add_user("bob").await;
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    assert_eq!(app.login(&form, "bob", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_and_existing_accounts_are_throttled_alike() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    fail_five_times(&app, &client, "alice").await;
    fail_five_times(&app, &client, "nobody").await;
    let mut answers = Vec::new();
    for user in ["alice", "nobody"] {
        let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
        let resp = app.login(&form, user, "wrong password!").await;
        let status = resp.status();
        let text = resp.text().await.unwrap().replace(&form.request_id, "").replace(user, "");
        answers.push((status, text.contains("Too many failed sign-in attempts")));
    }
    assert_eq!(answers[0], (StatusCode::TOO_MANY_REQUESTS, true));
    assert_eq!(answers[0], answers[1], "no enumeration through the throttle");
}

/// A login POST that claims to have been forwarded for `forwarded_for`.
async fn login_via(app: &TestApp, client: &str, forwarded_for: &str, user: &str, password: &str) -> StatusCode {
    let form: LoginForm = app.open_login(&app.authorize_url(client, &new_verifier(), &[])).await;
    let fields =
        [("request_id", form.request_id.as_str()), ("csrf", &form.csrf), ("username", user), ("password", password)];
    app.http
        .post(format!("{}/authorize/login", app.as_url))
        .header(reqwest::header::COOKIE, &form.cookie)
        .header("X-Forwarded-For", forwarded_for)
        .form(&fields)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn one_address_spraying_many_usernames_is_slowed_down() {
    let app = spawn_app_with(|c| c.login_failures_per_address = 3).await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    for user in ["u1", "u2", "u3"] {
        let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
        assert_eq!(app.login(&form, user, "wrong password!").await.status(), StatusCode::UNAUTHORIZED);
    }
    let form = app.open_login(&app.authorize_url(&client, &new_verifier(), &[])).await;
    let resp = app.login(&form, "alice", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "alice never failed, but this address did");
    assert!(resp.text().await.unwrap().contains("from your network"));
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = spawn_app_with(|c| c.login_failures_per_address = 2).await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    // Inventing a new address per attempt does not reset anything: the header is not believed.
    assert_eq!(login_via(&app, &client, "198.51.100.1", "u1", "wrong password!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(login_via(&app, &client, "198.51.100.2", "u2", "wrong password!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(login_via(&app, &client, "198.51.100.3", "alice", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own() {
    let app = spawn_app_with(|c| {
        c.login_failures_per_address = 2;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    let attacker = "198.51.100.1";
    assert_eq!(login_via(&app, &client, attacker, "u1", "wrong password!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(login_via(&app, &client, attacker, "u2", "wrong password!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(login_via(&app, &client, attacker, "alice", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    // A spoofed left-hand entry does not help the attacker: the proxy appended the real address.
    let spoofed = format!("203.0.113.5, {attacker}");
    assert_eq!(login_via(&app, &client, &spoofed, "alice", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    // Another user behind the same proxy signs in normally.
    assert_eq!(login_via(&app, &client, "198.51.100.2", "alice", PASSWORD).await, StatusCode::OK);
}

/// The per-username policy of the sign-in handler (`server/src/pages/sign_in.rs`): five free
/// attempts, then a lock-out that doubles from 30 s and stops growing at 15 minutes.
const FREE: i64 = 5;
const BASE_SECS: i64 = 30;
const CAP_SECS: i64 = 15 * 60;
const FORGET_AFTER_SECS: i64 = 3600;
const POLICY: ThrottlePolicy = ThrottlePolicy { free: FREE, base: BASE_SECS, cap: CAP_SECS };

#[tokio::test]
async fn each_attempt_past_the_free_ones_doubles_the_lock_out_up_to_the_cap() {
    let app = spawn_app().await;
    let key = "user:alice";
    let t0 = server::store::now(); // not in the past: the server purges rows an hour stale
    let mut waits = Vec::new();
    let mut at = t0;
    for n in 1..=12 {
        // Each attempt arrives just as the previous lock-out ends.
        at += app.store.throttle_wait(key, at).await.unwrap();
        assert_eq!(app.store.throttle_reserve(key, at, POLICY).await.unwrap(), Reservation::Allowed(n));
        waits.push(app.store.throttle_wait(key, at).await.unwrap());
    }
    assert_eq!(waits, [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
    // While locked, an attempt is refused and counts nothing: the lock-out runs down with time
    // and ends exactly when it said.
    assert_eq!(app.store.throttle_reserve(key, at + 899, POLICY).await.unwrap(), Reservation::Locked(1));
    assert_eq!(app.store.throttle_wait(key, at + 899).await.unwrap(), 1);
    assert_eq!(app.store.throttle_reserve(key, at + 900, POLICY).await.unwrap(), Reservation::Allowed(13));
}

#[tokio::test]
async fn attempts_are_forgotten_after_an_hour_without_one() {
    let app = spawn_app().await;
    let key = "user:alice";
    let t0 = server::store::now(); // not in the past: the server purges rows an hour stale
    for i in 0..FREE {
        app.store.throttle_reserve(key, t0 + i, POLICY).await.unwrap();
    }
    let last = t0 + FREE - 1;
    assert_eq!(app.store.throttle_wait(key, last).await.unwrap(), BASE_SECS);
    // An hour after the last attempt they still count: the next one doubles the lock-out...
    let counted = app.store.throttle_reserve(key, last + FORGET_AFTER_SECS, POLICY).await.unwrap();
    assert_eq!(counted, Reservation::Allowed(FREE + 1));
    assert_eq!(app.store.throttle_wait(key, last + FORGET_AFTER_SECS).await.unwrap(), 2 * BASE_SECS);
    // ...but an attempt more than an hour after that one starts counting afresh, unlocked.
    let later = last + 2 * FORGET_AFTER_SECS + 1;
    assert_eq!(app.store.throttle_reserve(key, later, POLICY).await.unwrap(), Reservation::Allowed(1));
    assert_eq!(app.store.throttle_wait(key, later).await.unwrap(), 0);
}

#[tokio::test]
async fn a_refunded_attempt_takes_its_lock_out_with_it() {
    let app = spawn_app().await;
    let key = "addr:192.0.2.1";
    // Now, not a fixed date: the server's purge forgets throttle rows idle for an hour.
    let t0 = server::store::now();
    for n in 1..=FREE {
        assert_eq!(app.store.throttle_reserve(key, t0, POLICY).await.unwrap(), Reservation::Allowed(n));
    }
    assert_eq!(app.store.throttle_wait(key, t0).await.unwrap(), BASE_SECS);
    // The fifth attempt was a success after all: it neither counts nor locks.
    app.store.throttle_refund(key, FREE).await.unwrap();
    assert_eq!(app.store.throttle_wait(key, t0).await.unwrap(), 0);
    assert_eq!(app.store.throttle_reserve(key, t0, POLICY).await.unwrap(), Reservation::Allowed(FREE));
}

/// `(failures, lock-out length)` stored for alice's username.
async fn alice_throttle(app: &TestApp) -> (i64, i64) {
    let select = "SELECT failures, MAX(locked_until - updated_at, 0) FROM login_throttle WHERE key = 'user:alice'";
    let row = app.sql_row(select).await;
    (row[0], row[1])
}

/// Lets `secs` pass for alice's throttle by moving its stored times into the past.
async fn age_alice_throttle(app: &TestApp, secs: i64) {
    let statement = "UPDATE login_throttle SET updated_at = updated_at - ?, locked_until = locked_until - ? \
                     WHERE key = 'user:alice'";
    assert_eq!(app.sql(statement, &[secs, secs]).await, 1);
}

async fn attempt(app: &TestApp, client: &str, password: &str) -> StatusCode {
    let form = app.open_login(&app.authorize_url(client, &new_verifier(), &[])).await;
    app.login(&form, "alice", password).await.status()
}

#[tokio::test]
async fn the_sign_in_page_doubles_the_lock_out_and_forgets_after_an_hour() {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    fail_five_times(&app, &client, "alice").await;
    assert_eq!(alice_throttle(&app).await, (FREE, BASE_SECS));
    // While locked, even the right password is refused, and that attempt is not counted.
    assert_eq!(attempt(&app, &client, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(alice_throttle(&app).await, (FREE, BASE_SECS));
    // Each time the lock-out has run out, one more failure doubles it, up to 15 minutes.
    let mut lock = BASE_SECS;
    for expected in [60, 120, 240, 480, 900, 900] {
        age_alice_throttle(&app, lock).await;
        assert_eq!(attempt(&app, &client, "wrong password!").await, StatusCode::UNAUTHORIZED);
        let (_, next) = alice_throttle(&app).await;
        assert_eq!(next, expected);
        lock = next;
    }
    // Just under an hour after the last failure it still counts...
    age_alice_throttle(&app, FORGET_AFTER_SECS - 300).await;
    assert_eq!(attempt(&app, &client, "wrong password!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(alice_throttle(&app).await, (FREE + 7, CAP_SECS));
    // ...more than an hour after it, everything is forgotten: no lock-out, the password works.
    age_alice_throttle(&app, FORGET_AFTER_SECS + 1).await;
    assert_eq!(attempt(&app, &client, "wrong password!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(alice_throttle(&app).await, (1, 0));
    assert_eq!(attempt(&app, &client, PASSWORD).await, StatusCode::OK);
}

/// `RACERS` wrong-password posts for alice, each on its own pending request, all at once;
/// returns how many were evaluated (401) and how many refused as throttled (429).
async fn race_wrong_passwords(app: &TestApp, client: &str) -> (usize, usize) {
    let mut requests = Vec::new();
    for _ in 0..RACERS {
        let form = app.open_login(&app.authorize_url(client, &new_verifier(), &[])).await;
        let fields = [
            ("request_id", form.request_id.clone()),
            ("csrf", form.csrf.clone()),
            ("username", "alice".to_owned()),
            ("password", "wrong password!".to_owned()),
        ];
        let url = format!("{}/authorize/login", app.as_url);
        requests.push(app.http.post(url).header(reqwest::header::COOKIE, &form.cookie).form(&fields));
    }
    let statuses: Vec<StatusCode> = send_all_at_once(requests).await.iter().map(|r| r.status()).collect();
    let evaluated = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(evaluated + throttled, RACERS, "only 401 or 429: {statuses:?}");
    (evaluated, throttled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_guesses_get_exactly_the_allowed_attempts() {
    // Enough hashing permits and address allowance that only the username's throttle decides.
    let app = spawn_app_with(|c| {
        c.password_hashing_concurrency = Some(u16::try_from(RACERS).unwrap());
        c.login_failures_per_address = 10_000;
    })
    .await;
    app.add_user("alice").await;
    let client = app.register_client().await;
    // A fresh account: exactly the free attempts are evaluated, however many arrive at once.
    let (evaluated, throttled) = race_wrong_passwords(&app, &client).await;
    assert_eq!((evaluated, throttled), (usize::try_from(FREE).unwrap(), RACERS - 5));
    assert_eq!(alice_throttle(&app).await, (FREE, BASE_SECS));
    // Once that lock-out has run out, exactly one more is evaluated, and it doubles the lock-out.
    age_alice_throttle(&app, BASE_SECS).await;
    let (evaluated, throttled) = race_wrong_passwords(&app, &client).await;
    assert_eq!((evaluated, throttled), (1, RACERS - 1));
    assert_eq!(alice_throttle(&app).await, (FREE + 1, 2 * BASE_SECS));
    let failed = app.store.recent_audit(200).await.unwrap().into_iter().filter(|e| e.event == "login_failed").count();
    assert_eq!(failed, usize::try_from(FREE).unwrap() + 1, "every evaluated guess audited, no other");
}
