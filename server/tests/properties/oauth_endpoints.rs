//! `/token`, `/revoke`, `/introspect` and `/register` on arbitrary forms, JSON, bytes, methods,
//! `Content-Type`s and `Authorization` headers.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::{json, Value};

use super::{content_type, form_body, header_text, method, near_valid, oauth_answer, owned, pairs, run, send, value};
use crate::common::{new_verifier, spawn_app_with, TestApp, REDIRECT_URI};

const TOKEN_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
];
const REVOKE_ERRORS: &[&str] = &["invalid_request", "invalid_client", "unsupported_token_type"];
const INTROSPECT_ERRORS: &[&str] = &["invalid_request", "invalid_client"];
const REGISTER_ERRORS: &[&str] = &["invalid_request", "invalid_client_metadata", "invalid_redirect_uri"];

const FORM: &str = "application/x-www-form-urlencoded";
const TOKEN_PARAMS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "code_verifier",
    "refresh_token",
    "resource",
    "scope",
    "token",
    "token_type_hint",
];

/// What the properties draw on: a public and a confidential client, and tokens that exist.
#[derive(Clone)]
struct Known {
    public_id: String,
    confidential_id: String,
    secret: String,
    refresh_token: String,
    access_token: String,
    introspection: String,
    mcp_url: String,
    /// Unused authorization codes of the public client, with their verifiers.
    codes: Vec<(String, String)>,
}

async fn setup() -> (TestApp, Known) {
    let app = spawn_app_with(|c| c.registrations_per_window = 1_000_000).await;
    app.add_user("alice").await;
    let grants = json!(["authorization_code", "refresh_token"]);
    let public: Value =
        app.register(json!({"redirect_uris": [REDIRECT_URI], "grant_types": grants})).await.json().await.unwrap();
    let public_id = public["client_id"].as_str().unwrap().to_owned();
    let confidential = json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "client_secret_basic"});
    let confidential: Value = app.register(confidential).await.json().await.unwrap();
    let (code, pending) = app.authorize_code_for(&public_id, "alice").await;
    let tokens: Value = app.exchange(&code, &pending).await.json().await.unwrap();
    let mut codes = Vec::new();
    for _ in 0..3 {
        let (code, pending) = app.authorize_code_for(&public_id, "alice").await;
        codes.push((code, pending.verifier));
    }
    let known = Known {
        public_id,
        confidential_id: confidential["client_id"].as_str().unwrap().to_owned(),
        secret: confidential["client_secret"].as_str().unwrap().to_owned(),
        refresh_token: tokens["refresh_token"].as_str().unwrap().to_owned(),
        access_token: tokens["access_token"].as_str().unwrap().to_owned(),
        introspection: server::http::introspect::basic_credentials(&app.introspection_secret),
        mcp_url: app.mcp_url.clone(),
        codes,
    };
    (app, known)
}

fn good_values(k: &Known) -> Vec<String> {
    [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        REDIRECT_URI,
        "user",
        "user admin",
        "access_token",
        "S256",
        "",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([
        k.mcp_url.clone(),
        k.public_id.clone(),
        k.confidential_id.clone(),
        k.refresh_token.clone(),
        k.access_token.clone(),
        new_verifier(),
        // A metadata-document client_id refused before any fetch: tests make no outside traffic.
        "https://app.example.com/client.json#frag".into(),
    ])
    .chain(k.codes.iter().flat_map(|(code, verifier)| [code.clone(), verifier.clone()]))
    .collect()
}

/// `Authorization` values: none, right and wrong Basic credentials, other schemes, junk.
fn authorization(right: Vec<String>, right_weight: u32) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => Just(None),
        right_weight => prop::sample::select(right).prop_map(Some),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| Some(format!("Basic {}", STANDARD.encode(b)))),
        1 => header_text().prop_map(Some),
    ]
}

/// One request to an OAuth endpoint.
#[derive(Clone, Debug)]
struct Request {
    method: Method,
    content_type: Option<String>,
    authorization: Option<String>,
    body: Vec<u8>,
}

fn form_request(
    bases: Vec<Vec<(String, String)>>,
    names: &'static [&'static str],
    values: Vec<String>,
    (auth, auth_weight): (Vec<String>, u32),
) -> impl Strategy<Value = Request> {
    let pairs = prop_oneof![4 => near_valid(bases, names, values.clone()), 1 => pairs(names, values)];
    (method(), content_type(FORM), authorization(auth, auth_weight), form_body(pairs))
        .prop_map(|(method, content_type, authorization, body)| Request { method, content_type, authorization, body })
}

/// Valid token requests: each grant, public and confidential.
fn token_bases(k: &Known) -> Vec<Vec<(String, String)>> {
    let mut bases: Vec<_> = k
        .codes
        .iter()
        .map(|(code, verifier)| {
            owned(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", &k.public_id),
                ("code_verifier", verifier),
                ("resource", &k.mcp_url),
            ])
        })
        .collect();
    bases.push(owned(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &k.refresh_token),
        ("client_id", &k.public_id),
    ]));
    bases.push(owned(&[
        ("grant_type", "authorization_code"),
        ("code", "not-a-code"),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &new_verifier()),
    ]));
    bases
}

async fn send_to(app: &TestApp, path: &str, r: Request) -> Result<reqwest::Response, TestCaseError> {
    let mut req = app.http.request(r.method, format!("{}{path}", app.as_url)).body(r.body);
    if let Some(ct) = r.content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    if let Some(a) = r.authorization {
        req = req.header(AUTHORIZATION, a);
    }
    send(req).await
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

#[test]
fn token_endpoint_refuses_arbitrary_requests_in_rfc_shape() {
    run(
        200,
        setup,
        |k| {
            let auth = vec![basic(&k.confidential_id, &k.secret), basic(&k.public_id, ""), basic("nobody", "x")];
            form_request(token_bases(k), TOKEN_PARAMS, good_values(k), (auth, 2))
        },
        async |app, _, r| {
            let (status, body) = oauth_answer(send_to(app, "/token", r).await?, TOKEN_ERRORS).await?;
            // A random request may at most rotate the real refresh token; never more.
            prop_assert!(status != 200 || body["token_type"] == "Bearer", "{}", body);
            Ok(())
        },
    );
}

#[test]
fn revocation_endpoint_refuses_arbitrary_requests_in_rfc_shape() {
    run(
        150,
        setup,
        |k| {
            let auth = vec![basic(&k.confidential_id, &k.secret), basic("nobody", "x")];
            let bases = vec![
                owned(&[("token", &k.access_token), ("client_id", &k.public_id)]),
                owned(&[
                    ("token", &k.refresh_token),
                    ("token_type_hint", "refresh_token"),
                    ("client_id", &k.public_id),
                ]),
                owned(&[("token", "unknown"), ("token_type_hint", "access_token")]),
            ];
            form_request(bases, TOKEN_PARAMS, good_values(k), (auth, 2))
        },
        async |app, _, r| {
            let (status, _) = oauth_answer(send_to(app, "/revoke", r).await?, REVOKE_ERRORS).await?;
            prop_assert!(status == 200 || status >= 400, "{}", status);
            Ok(())
        },
    );
}

#[test]
fn introspection_endpoint_refuses_arbitrary_requests_in_rfc_shape() {
    run(
        150,
        setup,
        |k| {
            let bases = vec![owned(&[("token", &k.access_token)]), owned(&[("token", &k.refresh_token)])];
            form_request(bases, &["token", "token_type_hint"], good_values(k), (vec![k.introspection.clone()], 12))
        },
        async |app, _, r| {
            let (status, body) = oauth_answer(send_to(app, "/introspect", r).await?, INTROSPECT_ERRORS).await?;
            prop_assert!(status != 200 || body["active"].is_boolean(), "{}", body);
            Ok(())
        },
    );
}

const METADATA_KEYS: &[&str] = &[
    "redirect_uris",
    "client_name",
    "client_uri",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "scope",
    "application_type",
    "software_id",
];

/// JSON values shaped like RFC 7591 metadata, from near-valid to anything.
fn metadata_json() -> impl Strategy<Value = Value> {
    let strings = value(
        [
            "https://app.example.com/cb",
            REDIRECT_URI,
            "com.example.app:/cb",
            "none",
            "client_secret_post",
            "native",
            "user",
        ]
        .map(str::to_owned)
        .to_vec(),
    );
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        strings.prop_map(Value::String),
    ];
    let tree = leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(METADATA_KEYS).prop_map(str::to_owned), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    });
    // Mostly a valid registration with up to three members changed or removed.
    let edit = (prop::sample::select(METADATA_KEYS).prop_map(str::to_owned), prop::option::of(tree.clone()));
    let near_valid = prop::collection::vec(edit, 0..3).prop_map(|edits| {
        let mut doc = serde_json::Map::new();
        doc.insert("redirect_uris".into(), json!([REDIRECT_URI]));
        doc.insert("client_name".into(), json!("Fuzz"));
        for (k, v) in edits {
            match v {
                Some(v) => doc.insert(k, v),
                None => doc.remove(&k),
            };
        }
        Value::Object(doc)
    });
    prop_oneof![3 => near_valid, 1 => tree]
}

#[test]
fn registration_endpoint_refuses_arbitrary_metadata_in_rfc_shape() {
    let body = prop_oneof![
        4 => metadata_json().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..80),
        1 => "[ -~]{0,80}".prop_map(String::into_bytes),
    ];
    run(
        200,
        setup,
        |_| {
            (method(), content_type("application/json"), body).prop_map(|(method, content_type, body)| Request {
                method,
                content_type,
                authorization: None,
                body,
            })
        },
        async |app, _, r| {
            let (status, body) = oauth_answer(send_to(app, "/register", r).await?, REGISTER_ERRORS).await?;
            prop_assert!(status == 201 || status >= 400, "{}", status);
            prop_assert!(status != 201 || body["client_id"].is_string(), "{}", body);
            Ok(())
        },
    );
}
