//! Property tests at the HTTP edge: arbitrary bodies, forms, queries and headers sent to a real
//! server (one per property, real HTTP on 127.0.0.1:0). Whatever arrives, the answer is never a
//! 5xx and never a dropped connection (a panic in a handler), and every refusal has its RFC shape:
//! an RFC 6749 §5.2 JSON error with a code the endpoint may use, or, at `/mcp`, a
//! `WWW-Authenticate: Bearer` challenge (RFC 6750 §3). Case counts are CI-cheap;
//! `PROPTEST_CASES=2000 cargo test -p server --test api properties` searches longer.

mod mcp;
mod oauth_endpoints;
mod pages;
mod regressions;

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, Response};
use serde_json::Value;

use crate::common::TestApp;

/// `cases` unless `PROPTEST_CASES` says otherwise; no `proptest-regressions/` files (a case that
/// found a bug becomes a plain `#[test]`).
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    // Shrinking re-sends requests: keep it short, the first failing input is printed as well.
    ProptestConfig { cases, failure_persistence: None, max_shrink_iters: 64, ..ProptestConfig::default() }
}

/// Starts a server with `setup`, then checks `cases` inputs from `strategy` against it, each on
/// the same runtime, and stops it. Panics with the failing input.
pub fn run<C, S: Strategy>(
    cases: u32,
    setup: impl AsyncFnOnce() -> (TestApp, C),
    strategy: impl FnOnce(&C) -> S,
    check: impl AsyncFn(&TestApp, &C, S::Value) -> Result<(), TestCaseError>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (app, ctx) = rt.block_on(setup());
    let strategy = strategy(&ctx);
    let mut runner = TestRunner::new(config(cases));
    let result = runner.run(&strategy, |input| rt.block_on(check(&app, &ctx, input)));
    rt.block_on(app.stop());
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Sends `req`; a connection dropped mid-request (a panicking handler) fails the case.
pub async fn send(req: RequestBuilder) -> Result<Response, TestCaseError> {
    req.send().await.map_err(|e| TestCaseError::fail(format!("no answer (did a handler panic?): {e}")))
}

/// RFC 6749 §5.2 / §4.1.2.1: `error_description` is limited to %x20-21 / %x23-5B / %x5D-7E.
pub fn description_chars_ok(d: &str) -> bool {
    d.bytes().all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// Asserts the answer of an OAuth endpoint: never a 5xx; a 4xx is an uncached JSON error whose
/// `error` is one of `allowed`; a 401 carries a challenge. Returns the status and the body.
pub async fn oauth_answer(resp: Response, allowed: &[&str]) -> Result<(u16, Value), TestCaseError> {
    let status = resp.status().as_u16();
    prop_assert!(status < 500, "server error {}: {:?}", status, resp.text().await.unwrap_or_default());
    let json = resp.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let no_store = resp.headers().get(CACHE_CONTROL).is_some_and(|v| v == "no-store");
    let challenge = resp.headers().contains_key(WWW_AUTHENTICATE);
    let text = resp.text().await.map_err(|e| TestCaseError::fail(format!("body: {e}")))?;
    let body: Value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
    if status >= 400 {
        prop_assert!(json && no_store, "{} without a JSON, no-store error body: {}", status, text);
        let code = body["error"].as_str().unwrap_or_default();
        prop_assert!(allowed.contains(&code), "{}: error {:?} is not one of {:?}: {}", status, code, allowed, text);
        let description = body["error_description"].as_str().unwrap_or_default();
        prop_assert!(description_chars_ok(description), "error_description outside RFC 6749 §5.2: {:?}", description);
        prop_assert!(status != 401 || challenge, "401 without WWW-Authenticate: {}", text);
    }
    Ok((status, body))
}

/// A string from `good` (values that get a request past the first checks) or anything.
pub fn value(good: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(good),
        1 => any::<String>(),
        1 => "[ -~]{0,24}",
        1 => "(%[0-9a-fA-F]{2}|%|%z|[a-z+&=])*",
    ]
}

/// `application/x-www-form-urlencoded` text of `pairs`, or arbitrary bytes.
pub fn form_body(pairs: impl Strategy<Value = Vec<(String, String)>>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => pairs.prop_map(|pairs| {
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish().into_bytes()
        }),
        1 => "[ -~]{0,80}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..80),
    ]
}

/// Name/value pairs, names mostly from `names`, repeats possible.
pub fn pairs(names: &'static [&'static str], values: Vec<String>) -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![4 => prop::sample::select(names).prop_map(str::to_owned), 1 => "[a-z_]{0,10}"];
    prop::collection::vec((name, value(values)), 0..8)
}

/// What to do to one parameter of a valid request.
#[derive(Clone, Debug)]
pub enum Edit {
    Set(String),
    Remove,
    Repeat(String),
}

/// One of the valid requests `bases` with up to three parameters set, removed or repeated:
/// near-valid requests, so that the checks after the first few are reached too.
pub fn near_valid(
    bases: Vec<Vec<(String, String)>>,
    names: &'static [&'static str],
    values: Vec<String>,
) -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![4 => prop::sample::select(names).prop_map(str::to_owned), 1 => "[a-z_]{1,8}"];
    let edit = prop_oneof![
        3 => value(values.clone()).prop_map(Edit::Set),
        1 => Just(Edit::Remove),
        1 => value(values).prop_map(Edit::Repeat),
    ];
    (prop::sample::select(bases), prop::collection::vec((name, edit), 0..3)).prop_map(|(mut q, edits)| {
        for (name, edit) in edits {
            match edit {
                Edit::Set(v) => {
                    q.retain(|(n, _)| *n != name);
                    q.push((name, v));
                }
                Edit::Remove => q.retain(|(n, _)| *n != name),
                Edit::Repeat(v) => q.push((name, v)),
            }
        }
        q
    })
}

/// Pairs from string literals.
pub fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

/// `Content-Type` values, right and wrong.
pub fn content_type(right: &'static str) -> impl Strategy<Value = Option<String>> {
    let others = vec![
        "application/x-www-form-urlencoded; charset=utf-8",
        "APPLICATION/JSON",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
        ";",
    ];
    prop_oneof![
        4 => Just(Some(right.to_owned())),
        1 => prop::option::of(prop::sample::select(others).prop_map(str::to_owned)),
    ]
}

/// Mostly POST, sometimes a method the endpoint does not take.
pub fn method() -> impl Strategy<Value = reqwest::Method> {
    use reqwest::Method;
    prop_oneof![8 => Just(Method::POST), 1 => prop::sample::select(vec![Method::GET, Method::PUT, Method::DELETE, Method::PATCH])]
}

/// Arbitrary header-safe text (visible ASCII and tab), for values sent as they are.
pub fn header_text() -> impl Strategy<Value = String> {
    "[ -~\t]{0,60}".prop_map(|s| s.trim().to_owned())
}
