//! Client authentication at /token and /revoke (RFC 6749 §2.3.1, §5.2; OAuth 2.1 §2.4): each
//! client must use exactly its registered method, with the right secret, and one method at a time.

use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};

use crate::common::{assert_oauth_error, TestApp};
use crate::configured_clients::{
    clients_file, code_form, spawn_with_clients, token_with, BASIC_CLIENT, POST_CLIENT, PUBLIC_CLIENT, SECRET,
};

const WRONG: &str = "not-the-secret-0123456789abcdefghijklmn";

/// A 401 `invalid_client` with a Basic challenge (RFC 6749 §5.2).
async fn assert_invalid_client(resp: Response) {
    let challenge = resp.headers().get(WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    assert!(challenge.as_deref().is_some_and(|c| c.starts_with("Basic")), "challenge: {challenge:?}");
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

/// A code issued to `client_id` for alice.
async fn code_then(app: &TestApp, client_id: &str) -> (String, crate::common::Pending) {
    app.authorize_code_for(client_id, "alice").await
}

#[tokio::test]
async fn wrong_secret_is_invalid_client_and_leaves_the_code_usable() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let (code, p) = code_then(&app, BASIC_CLIENT).await;
    let form = code_form(&app, &code, &p, &[]);
    assert_invalid_client(token_with(&app, &form, Some((BASIC_CLIENT, WRONG))).await).await;
    assert_invalid_client(token_with(&app, &form, Some((BASIC_CLIENT, ""))).await).await;
    let prefix = &SECRET[..SECRET.len() - 1];
    assert_invalid_client(token_with(&app, &form, Some((BASIC_CLIENT, prefix))).await).await;
    assert_eq!(token_with(&app, &form, Some((BASIC_CLIENT, SECRET))).await.status(), StatusCode::OK);

    let (code, p) = code_then(&app, POST_CLIENT).await;
    let bad = code_form(&app, &code, &p, &[("client_id", POST_CLIENT), ("client_secret", WRONG)]);
    assert_invalid_client(token_with(&app, &bad, None).await).await;
    let good = code_form(&app, &code, &p, &[("client_id", POST_CLIENT), ("client_secret", SECRET)]);
    assert_eq!(token_with(&app, &good, None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_method_other_than_the_registered_one_is_invalid_client() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    // The Basic client sending its (right) secret in the body.
    let (code, p) = code_then(&app, BASIC_CLIENT).await;
    let post = code_form(&app, &code, &p, &[("client_id", BASIC_CLIENT), ("client_secret", SECRET)]);
    assert_invalid_client(token_with(&app, &post, None).await).await;
    // ... or no secret at all, as if public.
    let public = code_form(&app, &code, &p, &[("client_id", BASIC_CLIENT)]);
    assert_invalid_client(token_with(&app, &public, None).await).await;
    // The post client using Basic with its right secret.
    let (code, p) = code_then(&app, POST_CLIENT).await;
    let form = code_form(&app, &code, &p, &[]);
    assert_invalid_client(token_with(&app, &form, Some((POST_CLIENT, SECRET))).await).await;
    let public = code_form(&app, &code, &p, &[("client_id", POST_CLIENT)]);
    assert_invalid_client(token_with(&app, &public, None).await).await;
}

#[tokio::test]
async fn a_public_client_presenting_a_secret_is_invalid_client() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let (code, p) = code_then(&app, PUBLIC_CLIENT).await;
    let post = code_form(&app, &code, &p, &[("client_id", PUBLIC_CLIENT), ("client_secret", "anything")]);
    assert_invalid_client(token_with(&app, &post, None).await).await;
    let form = code_form(&app, &code, &p, &[]);
    assert_invalid_client(token_with(&app, &form, Some((PUBLIC_CLIENT, "anything"))).await).await;
    assert_invalid_client(token_with(&app, &form, Some((PUBLIC_CLIENT, ""))).await).await;
    // Dynamically registered public clients too.
    let (code, p) = app.authorize_code("alice").await;
    let post = code_form(&app, &code, &p, &[("client_id", &p.client_id), ("client_secret", "anything")]);
    assert_invalid_client(token_with(&app, &post, None).await).await;
    assert_eq!(app.exchange(&code, &p).await.status(), StatusCode::OK, "the code was not spent");
}

#[tokio::test]
async fn two_methods_at_once_is_invalid_request() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let (code, p) = code_then(&app, BASIC_CLIENT).await;
    let both = code_form(&app, &code, &p, &[("client_id", BASIC_CLIENT), ("client_secret", SECRET)]);
    let resp = token_with(&app, &both, Some((BASIC_CLIENT, SECRET))).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    let secret_only = code_form(&app, &code, &p, &[("client_secret", SECRET)]);
    let resp = token_with(&app, &secret_only, Some((BASIC_CLIENT, SECRET))).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    // Basic naming one client while the body names another.
    let other = code_form(&app, &code, &p, &[("client_id", POST_CLIENT)]);
    let resp = token_with(&app, &other, Some((BASIC_CLIENT, SECRET))).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    // Repeating the same id in the body is allowed (RFC 6749 §4.1.3).
    let same = code_form(&app, &code, &p, &[("client_id", BASIC_CLIENT)]);
    assert_eq!(token_with(&app, &same, Some((BASIC_CLIENT, SECRET))).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_client_is_invalid_client() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let (code, p) = code_then(&app, BASIC_CLIENT).await;
    let form = code_form(&app, &code, &p, &[]);
    assert_invalid_client(token_with(&app, &form, Some(("no-such-client", SECRET))).await).await;
    let post = code_form(&app, &code, &p, &[("client_id", "no-such-client"), ("client_secret", SECRET)]);
    assert_invalid_client(token_with(&app, &post, None).await).await;
    // Malformed Basic credentials and other schemes.
    for header in ["Basic !!!", "Basic bm8tY29sb24=", "Basic OnNlY3JldA==", "Digest x", "Basic"] {
        let resp = app
            .http
            .post(format!("{}/token", app.as_url))
            .header(AUTHORIZATION, header)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_invalid_client(resp).await;
    }
    assert_eq!(token_with(&app, &form, Some((BASIC_CLIENT, SECRET))).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn confidential_clients_still_need_pkce() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let (code, p) = code_then(&app, BASIC_CLIENT).await;
    let mut form = code_form(&app, &code, &p, &[]);
    form.retain(|(k, _)| *k != "code_verifier");
    let resp = token_with(&app, &form, Some((BASIC_CLIENT, SECRET))).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    let wrong = crate::common::new_verifier();
    form.push(("code_verifier", &wrong));
    let resp = token_with(&app, &form, Some((BASIC_CLIENT, SECRET))).await;
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // The authorization request itself needs a challenge, confidential client or not.
    let url = app.authorize_url(BASIC_CLIENT, &p.verifier, &[("code_challenge", None)]);
    let resp = app.http.get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND, "an error redirect, not the login page");
    let location = url::Url::parse(resp.headers()[reqwest::header::LOCATION].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(crate::common::REDIRECT_URI), "{location}");
    assert!(location.query_pairs().any(|(k, v)| k == "error" && v == "invalid_request"), "{location}");
}

async fn revoke(app: &TestApp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Response {
    let mut req = app.http.post(format!("{}/revoke", app.as_url)).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.unwrap()
}

async fn tokens_for(app: &TestApp, client_id: &str, extra: &[(&str, &str)], basic: Option<(&str, &str)>) -> String {
    let (code, p) = code_then(app, client_id).await;
    let resp = token_with(app, &code_form(app, &code, &p, extra), basic).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn revocation_authenticates_the_client() {
    let (app, _dir) = spawn_with_clients(&clients_file()).await;
    let access = tokens_for(&app, BASIC_CLIENT, &[], Some((BASIC_CLIENT, SECRET))).await;
    let form = [("token", access.as_str())];
    assert_invalid_client(revoke(&app, &form, Some((BASIC_CLIENT, WRONG))).await).await;
    assert_invalid_client(revoke(&app, &[("token", &access), ("client_id", BASIC_CLIENT)], None).await).await;
    let both = [("token", access.as_str()), ("client_secret", SECRET)];
    assert_oauth_error(
        revoke(&app, &both, Some((BASIC_CLIENT, SECRET))).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert_eq!(app.introspect(&access).await["active"], true, "failed attempts revoke nothing");
    // Another client cannot revoke it, even authenticated (same 200, token untouched).
    let resp = revoke(&app, &[("token", &access), ("client_id", POST_CLIENT), ("client_secret", SECRET)], None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(app.introspect(&access).await["active"], true);
    assert_eq!(revoke(&app, &form, Some((BASIC_CLIENT, SECRET))).await.status(), StatusCode::OK);
    assert_eq!(app.introspect(&access).await["active"], false);

    let creds = [("client_id", POST_CLIENT), ("client_secret", SECRET)];
    let access = tokens_for(&app, POST_CLIENT, &creds, None).await;
    let wrong = [("token", access.as_str()), ("client_id", POST_CLIENT), ("client_secret", WRONG)];
    assert_invalid_client(revoke(&app, &wrong, None).await).await;
    assert_invalid_client(revoke(&app, &[("token", &access)], Some((POST_CLIENT, SECRET))).await).await;
    assert_eq!(app.introspect(&access).await["active"], true);
    let good = [("token", access.as_str()), ("client_id", POST_CLIENT), ("client_secret", SECRET)];
    assert_eq!(revoke(&app, &good, None).await.status(), StatusCode::OK);
    assert_eq!(app.introspect(&access).await["active"], false);

    // A public client presenting a secret at /revoke is refused as well.
    let access = tokens_for(&app, PUBLIC_CLIENT, &[("client_id", PUBLIC_CLIENT)], None).await;
    let with_secret = [("token", access.as_str()), ("client_id", PUBLIC_CLIENT), ("client_secret", "x")];
    assert_invalid_client(revoke(&app, &with_secret, None).await).await;
    assert_eq!(revoke(&app, &[("token", &access), ("client_id", PUBLIC_CLIENT)], None).await.status(), StatusCode::OK);
    assert_eq!(app.introspect(&access).await["active"], false);
}
