//! `/authorize` (GET query) and the login and consent forms on arbitrary input. These answer a
//! browser: problems with the client or redirect URI get an HTML error page, never a redirect;
//! everything else goes back to the registered redirect URI with an RFC 6749 §4.1.2.1 `error`
//! (or a code), `state` and `iss`.

use proptest::prelude::*;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::Response;
use url::Url;

use super::{
    content_type, description_chars_ok, form_body, header_text, near_valid, oauth_answer, owned, run, send, value,
};
use crate::common::{new_verifier, spawn_app_with, LoginForm, TestApp, PASSWORD, REDIRECT_URI};

const AUTHORIZE_ERRORS: &[&str] = &[
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "invalid_target",
];
const AUTHORIZE_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
];

#[derive(Clone)]
struct Known {
    client_id: String,
    mcp_url: String,
    forms: Vec<LoginForm>,
}

async fn setup() -> (TestApp, Known) {
    let app = spawn_app_with(|c| c.login_failures_per_address = 1_000_000).await;
    app.add_user("alice").await;
    let client_id = app.register_client().await;
    let mut forms = Vec::new();
    for _ in 0..6 {
        forms.push(app.open_login(&app.authorize_url(&client_id, &new_verifier(), &[])).await);
    }
    let known = Known { client_id, mcp_url: app.mcp_url.clone(), forms };
    (app, known)
}

/// Asserts a page answer: never a 5xx; a redirect goes only to the registered URI, with a code or
/// an allowed error, `iss`, and the `state` that was sent; other refusals are HTML pages (or the
/// JSON 413 every endpoint gives).
async fn page_answer(app: &TestApp, resp: Response, state: Option<&str>) -> Result<(), TestCaseError> {
    let status = resp.status().as_u16();
    if status == 413 {
        oauth_answer(resp, &["invalid_request"]).await?;
        return Ok(());
    }
    prop_assert!(status < 500, "server error {}", status);
    if status == 302 {
        let location = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let url = Url::parse(location).map_err(|e| TestCaseError::fail(format!("Location {location:?}: {e}")))?;
        prop_assert!(location.starts_with(&format!("{REDIRECT_URI}?")), "redirected elsewhere: {}", location);
        let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        prop_assert_eq!(get("iss"), Some(app.as_url.clone()), "{}", location);
        match (get("code"), get("error")) {
            (Some(_), None) => {}
            (None, Some(error)) => {
                prop_assert!(AUTHORIZE_ERRORS.contains(&error.as_str()), "error {:?}", error);
                let description = get("error_description").unwrap_or_default();
                prop_assert!(description_chars_ok(&description), "error_description {:?}", description);
            }
            _ => prop_assert!(false, "neither a code nor an error: {}", location),
        }
        if let Some(state) = state {
            prop_assert_eq!(get("state"), Some(state.to_owned()), "{}", location);
        }
        return Ok(());
    }
    let html = resp.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    prop_assert!(html, "{} is not an HTML page", status);
    prop_assert!(matches!(status, 200 | 400 | 401 | 403 | 429), "unexpected status {}", status);
    Ok(())
}

#[test]
fn authorize_answers_arbitrary_queries_with_a_page_or_a_proper_redirect() {
    run(
        200,
        setup,
        |k| {
            let verifier = new_verifier();
            let challenge = shared::pkce::challenge_s256(&verifier);
            let base = owned(&[
                ("response_type", "code"),
                ("client_id", &k.client_id),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "user"),
                ("state", "st4te"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("resource", &k.mcp_url),
            ]);
            let values: Vec<String> = base
                .iter()
                .map(|(_, v)| v.clone())
                .chain(
                    // Never a fetchable metadata-document URL (as a client_id): no outside traffic.
                    ["token", "plain", "admin", "user admin", "http://127.0.0.1:1/cb", "https://rs.example/"]
                        .map(str::to_owned),
                )
                .collect();
            let query = |q: Vec<(String, String)>| {
                url::form_urlencoded::Serializer::new(String::new()).extend_pairs(q).finish()
            };
            prop_oneof![
                4 => near_valid(vec![base], AUTHORIZE_PARAMS, values).prop_map(query),
                1 => "[ -\"$-~]{0,80}",
            ]
        },
        async |app, _, query| {
            let state = url::form_urlencoded::parse(query.as_bytes())
                .filter(|(n, _)| n == "state")
                .map(|(_, v)| v.into_owned())
                .collect::<Vec<_>>();
            let resp = send(app.http.get(format!("{}/authorize?{query}", app.as_url))).await?;
            // `state` is only echoed when it was sent once (a repeated parameter is refused).
            let state = (state.len() == 1 && !state[0].is_empty()).then(|| state[0].clone());
            page_answer(app, resp, state.as_deref()).await
        },
    );
}

/// A login or consent form post: which form, its fields, and the cookie sent with it.
#[derive(Clone, Debug)]
struct FormPost {
    path: &'static str,
    cookie: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

#[test]
fn login_and_consent_forms_answer_arbitrary_posts_with_a_page_or_a_proper_redirect() {
    run(
        100,
        setup,
        |k| {
            let ids: Vec<String> = k.forms.iter().map(|f| f.request_id.clone()).collect();
            let csrfs: Vec<String> = k.forms.iter().map(|f| f.csrf.clone()).collect();
            let cookies: Vec<String> = k.forms.iter().map(|f| f.cookie.clone()).collect();
            let field = |good: Vec<String>| prop::option::of(value(good));
            let fields = (
                field(ids),
                field(csrfs),
                field(vec!["alice".into()]),
                field(vec![PASSWORD.into()]),
                field(vec!["allow".into(), "deny".into()]),
            );
            let pairs = fields.prop_map(|(request_id, csrf, username, password, decision)| {
                [
                    ("request_id", request_id),
                    ("csrf", csrf),
                    ("username", username),
                    ("password", password),
                    ("decision", decision),
                ]
                .into_iter()
                .filter_map(|(n, v)| Some((n.to_owned(), v?)))
                .collect::<Vec<_>>()
            });
            let cookie =
                prop_oneof![2 => prop::sample::select(cookies).prop_map(Some), 1 => prop::option::of(header_text())];
            let path = prop::sample::select(vec!["/authorize/login", "/authorize/consent"]);
            (path, cookie, content_type("application/x-www-form-urlencoded"), form_body(pairs))
                .prop_map(|(path, cookie, content_type, body)| FormPost { path, cookie, content_type, body })
        },
        async |app, _, post| {
            let mut req = app.http.post(format!("{}{}", app.as_url, post.path)).body(post.body);
            if let Some(c) = post.cookie {
                req = req.header(COOKIE, c);
            }
            if let Some(ct) = post.content_type {
                req = req.header(CONTENT_TYPE, ct);
            }
            page_answer(app, send(req).await?, Some("st4te")).await
        },
    );
}
