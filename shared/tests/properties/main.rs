//! Property tests of the parsers in `shared` that read outside input: the `WWW-Authenticate`
//! challenge, the redirect-URI and resource rules, and PKCE. Each property runs a CI-cheap number
//! of cases; `PROPTEST_CASES=20000 cargo test -p shared --test properties` runs a longer search.

mod challenge;
mod pkce;
mod urls;

use proptest::prelude::*;

/// `cases` unless `PROPTEST_CASES` says otherwise. Failures are not written to
/// `proptest-regressions/`: a case that found a bug becomes a plain `#[test]` next to the code.
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Any string, weighted towards the characters that matter to URL and header parsers.
pub fn messy_string() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[ -~]{0,60}", r#"[a-zA-Z0-9:/?#\[\]@!$&'()*+,;=%._~" \\\t-]{0,60}"#,]
}
