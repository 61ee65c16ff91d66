//! The `Bearer` challenge of `WWW-Authenticate` (RFC 6750 §3, RFC 9110 §11.6.1): arbitrary input
//! never panics, what the server formats the client parses back unchanged, and a malformed
//! challenge is refused whole rather than half-read.

use proptest::prelude::*;
use shared::challenge::BearerChallenge;

use super::{config, messy_string};

/// Parameter values with every character that needs quoting or escaping.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), r#"[a-z "\\,=;:/]{0,12}"#, Just(String::new())]
}

fn challenge() -> impl Strategy<Value = BearerChallenge> {
    let field = || prop::option::of(value());
    (field(), field(), field(), field(), field()).prop_map(
        |(realm, error, error_description, scope, resource_metadata)| BearerChallenge {
            realm,
            error,
            error_description,
            scope,
            resource_metadata,
        },
    )
}

/// What survives formatting: control characters are dropped so a value cannot break the header.
fn formatted(c: &BearerChallenge) -> BearerChallenge {
    let strip = |v: &Option<String>| v.as_ref().map(|s| s.chars().filter(|c| !c.is_control()).collect());
    BearerChallenge {
        realm: strip(&c.realm),
        error: strip(&c.error),
        error_description: strip(&c.error_description),
        scope: strip(&c.scope),
        resource_metadata: strip(&c.resource_metadata),
    }
}

/// Other, well-formed challenges that may stand before or after the Bearer one.
fn other_challenges() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "Basic realm=\"x\"",
        "Digest realm=\"a\", qop=auth",
        "DPoP algs=\"ES256 EdDSA\"",
        "X",
    ])
    .prop_map(str::to_owned)
}

fn join(parts: &[&str]) -> String {
    parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(", ")
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn arbitrary_headers_never_panic(s in messy_string()) {
        if let Some(c) = BearerChallenge::parse(&s) {
            // Whatever was read is stable: formatting and parsing it again gives it back.
            prop_assert_eq!(BearerChallenge::parse(&c.to_header_value()), Some(formatted(&c)));
        }
    }

    #[test]
    fn header_like_garbage_never_panics(
        s in r#"((Bearer|bearer|Basic|realm|error|scope|[a-z_]{1,4})|[ ,="\\\t@]){0,24}"#
    ) {
        let _ = BearerChallenge::parse(&s);
    }

    #[test]
    fn format_then_parse_round_trips(c in challenge(), before in other_challenges(), after in other_challenges()) {
        let header = join(&[&before, &c.to_header_value(), &after]);
        prop_assert_eq!(BearerChallenge::parse(&header), Some(formatted(&c)), "{}", header);
    }

    #[test]
    fn printable_ascii_formats_to_a_legal_header_value(
        values in prop::collection::vec(prop::option::of("[ -~]{0,16}"), 5),
    ) {
        let c = BearerChallenge {
            realm: values[0].clone(),
            error: values[1].clone(),
            error_description: values[2].clone(),
            scope: values[3].clone(),
            resource_metadata: values[4].clone(),
        };
        let header = c.to_header_value();
        prop_assert!(header.bytes().all(|b| (0x20..0x7f).contains(&b)), "{:?}", header);
        prop_assert_eq!(BearerChallenge::parse(&header), Some(c));
    }

    #[test]
    fn a_truncated_parameter_refuses_the_challenge(
        c in challenge().prop_filter("has a parameter", |c| c.to_header_value() != "Bearer"),
        cut in any::<prop::sample::Index>(),
    ) {
        // Cut anywhere after the last `=`: the last value is missing or unterminated.
        let header = c.to_header_value();
        let from = header.rfind("=\"").expect("a quoted parameter") + 1;
        let mut at = from + cut.index(header.len() - from);
        while !header.is_char_boundary(at) {
            at -= 1;
        }
        prop_assert_eq!(BearerChallenge::parse(&header[..at]), None, "{:?}", &header[..at]);
    }

    #[test]
    fn junk_after_a_value_refuses_the_challenge(
        c in challenge().prop_filter("has a parameter", |c| c.to_header_value() != "Bearer"),
        junk in prop::sample::select(vec!["@", "\"", "=", ";", "(", "/", "x", " =", " @", "\u{1}", "\u{7f}"]),
        after in other_challenges(),
    ) {
        let header = join(&[&format!("{}{junk}", c.to_header_value()), &after]);
        prop_assert_eq!(BearerChallenge::parse(&header), None, "{:?}", header);
    }

    #[test]
    fn a_repeated_parameter_refuses_the_challenge(c in challenge(), name in prop::sample::select(vec!["realm", "ERROR", "scope", "x"])) {
        let header = format!("{}, {name}=\"a\", {name}=b", c.to_header_value()).replacen("Bearer, ", "Bearer ", 1);
        prop_assert_eq!(BearerChallenge::parse(&header), None, "{:?}", header);
    }
}
