//! The clients file, RFC 7591 client metadata and HTTP Basic client credentials on outside input:
//! arbitrary input never panics; what is accepted keeps every rule, what is refused says which
//! entry and field, and a secret from the environment never appears in a message.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{json, Value};
use shared::oauth::{ClientRegistrationRequest, ErrorCode};

use super::authentication::parse_basic;
use super::configured::parse;
use super::metadata::{validate, ApplicationType, AuthMethod};
use crate::oauth::arbitrary::{config, json as json_value, mutated, string};

const KEYS: &[&str] = &[
    "client_id",
    "redirect_uris",
    "client_name",
    "client_uri",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "scope",
    "application_type",
    "client_secret_env",
    "client_secret_sha256",
    "client_secret",
];
const LONG_SECRET: &str = "an-environment-secret-0123456789abcdef";
const SHORT_SECRET: &str = "tiny-secret";

fn env(name: &str) -> Option<String> {
    match name {
        "SECRET_ENV" => Some(LONG_SECRET.into()),
        "SHORT_ENV" => Some(SHORT_SECRET.into()),
        _ => None,
    }
}

fn entry() -> impl Strategy<Value = Value> {
    let bases = vec![
        json!({"client_id": "billing", "redirect_uris": ["https://b.example/cb"],
            "token_endpoint_auth_method": "client_secret_basic", "client_secret_env": "SECRET_ENV"}),
        json!({"client_id": "cli", "redirect_uris": ["http://127.0.0.1/cb"], "application_type": "native",
            "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", "refresh_token"]}),
        json!({"client_id": "hashed", "redirect_uris": ["https://h.example/cb"], "scope": "user",
            "token_endpoint_auth_method": "client_secret_post", "client_secret_sha256": "ab".repeat(32)}),
    ];
    prop::sample::select(bases).prop_flat_map(|base| mutated(base, KEYS))
}

/// Clients-file text: arrays of near-valid entries, any JSON, or any text.
fn file() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(entry(), 0..4).prop_map(|entries| Value::Array(entries).to_string()),
        1 => json_value(KEYS).prop_map(|v| v.to_string()),
        1 => any::<String>(),
    ]
}

fn opt_strings() -> impl Strategy<Value = Option<Vec<String>>> {
    prop::option::of(prop::collection::vec(string(), 0..4))
}

/// Mostly one of `good`, sometimes anything.
fn either(good: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => prop::option::of(prop::sample::select(good).prop_map(str::to_owned)),
        1 => prop::option::of(string()),
    ]
}

/// RFC 7591 metadata as `/register` would deserialize it, valid about half the time.
fn registration() -> impl Strategy<Value = ClientRegistrationRequest> {
    const GOOD_URIS: &[&str] = &["https://app.example.com/cb", "http://127.0.0.1:3000/cb", "http://localhost/cb"];
    let uris = prop_oneof![
        2 => prop::collection::vec(prop::sample::select(GOOD_URIS).prop_map(str::to_owned), 1..4),
        1 => prop::collection::vec(string(), 0..12),
    ];
    let grants = prop_oneof![Just(None), Just(Some(vec!["authorization_code".to_owned()])), opt_strings()];
    let responses = prop_oneof![Just(None), Just(Some(vec!["code".to_owned()])), opt_strings()];
    let methods = &["none", "client_secret_basic", "client_secret_post"];
    let names = (either(&["App"]), either(&["https://app.example.com"]));
    let kinds = (either(methods), either(&["user", "user admin"]), either(&["web", "native"]));
    (uris, names, grants, responses, kinds).prop_map(
        |(redirect_uris, (client_name, client_uri), grant_types, response_types, (method, scope, application_type))| {
            ClientRegistrationRequest {
                redirect_uris,
                client_name,
                client_uri,
                grant_types,
                response_types,
                token_endpoint_auth_method: method,
                scope,
                application_type,
                ..ClientRegistrationRequest::default()
            }
        },
    )
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn clients_files_load_or_name_each_problem(text in file()) {
        match parse(&text, env, 7) {
            Ok(clients) => {
                for (i, c) in clients.iter().enumerate() {
                    prop_assert!(c.configured && c.created_at == 7);
                    prop_assert!(!clients[..i].iter().any(|o| o.client_id == c.client_id), "duplicate id");
                    let ok_id = c.client_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
                    prop_assert!(ok_id && !c.client_id.is_empty() && !c.client_id.starts_with("c_"), "{}", c.client_id);
                    let confidential = c.token_endpoint_auth_method != "none";
                    let hash_ok = c.client_secret_hash.as_ref().is_some_and(|h| h.len() == 64);
                    prop_assert_eq!(confidential, hash_ok, "{:?}", c);
                    prop_assert!(!c.redirect_uris.is_empty());
                }
            }
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                for p in &problems {
                    let labelled = p.starts_with("entry ") || p.starts_with("client ")
                        || p.starts_with("malformed JSON") || p.starts_with("the file must hold");
                    prop_assert!(labelled, "unlabelled problem: {}", p);
                    prop_assert!(!p.contains(LONG_SECRET) && !p.contains(SHORT_SECRET), "secret echoed: {}", p);
                }
            }
        }
    }

    #[test]
    fn registration_metadata_is_valid_or_refused_with_a_field(req in registration()) {
        match validate(req.clone(), &[]) {
            Ok(valid) => {
                let native = valid.application_type == ApplicationType::Native;
                prop_assert!(!valid.redirect_uris.is_empty() && valid.redirect_uris.len() <= 10);
                for uri in &valid.redirect_uris {
                    let checked = if native {
                        shared::urls::validate_native_redirect_uri(uri)
                    } else {
                        shared::urls::validate_redirect_uri(uri)
                    };
                    prop_assert!(checked.is_ok(), "{}", uri);
                }
                prop_assert!(valid.grant_types.iter().any(|g| g == "authorization_code"));
                prop_assert_eq!(valid.auth_method.as_str(), req.token_endpoint_auth_method.as_deref().unwrap_or("none"));
                prop_assert!(AuthMethod::parse(valid.auth_method.as_str()).is_some());
            }
            Err(e) => {
                prop_assert!(matches!(e.code, ErrorCode::InvalidClientMetadata | ErrorCode::InvalidRedirectUri));
                prop_assert!(!e.field.is_empty() && !e.message.is_empty());
                prop_assert_eq!(e.code == ErrorCode::InvalidRedirectUri, e.field == "redirect_uris");
            }
        }
    }

    #[test]
    fn basic_credentials_never_panic(
        raw in prop_oneof![any::<String>(), "[ -~]{0,40}"],
        decoded in prop::collection::vec(any::<u8>(), 0..40),
        scheme in prop::sample::select(vec!["Basic", "basic", "BASIC", "Bearer", ""]),
    ) {
        let _ = parse_basic(&raw);
        if let Some((id, _)) = parse_basic(&format!("{scheme} {}", STANDARD.encode(&decoded))) {
            prop_assert!(!id.is_empty());
            prop_assert!(scheme.eq_ignore_ascii_case("basic"));
        }
    }
}
