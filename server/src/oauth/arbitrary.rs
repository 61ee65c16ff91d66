//! Strategies for the property tests of this crate's parsers (test builds only): JSON value trees
//! biased towards the members and strings the validators look at, and a CI-cheap case count.

use proptest::prelude::*;
use serde_json::Value;

/// `cases` unless `PROPTEST_CASES` says otherwise (raise it for a longer local search). Failures
/// are not written to `proptest-regressions/`: a case that found a bug becomes a plain `#[test]`.
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Values the client-metadata rules treat specially, and redirect URIs good and bad.
const INTERESTING: &[&str] = &[
    "",
    " ",
    "App",
    "https://app.example.com/cb",
    "https://app.example.com/client.json",
    "http://127.0.0.1:3000/cb",
    "http://app.example.com/cb",
    "https://app.example.com/cb#frag",
    "https://u:p@app.example.com/cb",
    "com.example.app:/cb",
    "javascript:alert(1)",
    "none",
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "code",
    "token",
    "web",
    "native",
    "user",
    "user admin",
    "unknown-scope",
    "SECRET_ENV",
    "billing",
    "dyn_taken",
];

/// Any string, or one of [`INTERESTING`].
pub fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(INTERESTING).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => "[ -~]{0,40}",
    ]
}

/// A JSON value tree of bounded size whose object members are mostly named from `keys`.
pub fn json(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(keys), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn key(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![3 => prop::sample::select(keys).prop_map(str::to_owned), 1 => any::<String>()]
}

/// `base` with up to four of its members replaced by arbitrary values or removed, and arbitrary
/// members added: mostly near-valid objects, so the checks past the first one are reached too.
pub fn mutated(base: Value, keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let edit = (key(keys), prop::option::of(json(keys)));
    prop::collection::vec(edit, 0..4).prop_map(move |edits| {
        let mut doc = base.clone();
        if let Some(members) = doc.as_object_mut() {
            for (k, v) in edits {
                match v {
                    Some(v) => members.insert(k, v),
                    None => members.remove(&k),
                };
            }
        }
        doc
    })
}
