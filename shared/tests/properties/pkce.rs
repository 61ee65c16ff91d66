//! PKCE (RFC 7636 §4.1, §4.6): what a verifier may be, and S256 verification.

use proptest::prelude::*;
use shared::pkce::{challenge_s256, is_valid_challenge, is_valid_verifier, verifier_from_bytes, verify_s256};

use super::{config, messy_string};

const UNRESERVED: &str = "[A-Za-z0-9._~-]";

/// A string of 43 to 128 unreserved characters: every valid verifier, and nothing else.
fn valid_verifier() -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("{UNRESERVED}{{43,128}}")).expect("regex")
}

/// A string with at least one character outside the unreserved set, at any length.
fn verifier_with_a_bad_char() -> impl Strategy<Value = String> {
    (valid_verifier(), any::<char>(), any::<prop::sample::Index>())
        .prop_filter("a reserved character", |(_, c, _)| !c.is_ascii_alphanumeric() && !"-._~".contains(*c))
        .prop_map(|(v, c, at)| {
            let mut chars: Vec<char> = v.chars().collect();
            chars.insert(at.index(chars.len() + 1), c);
            chars.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn arbitrary_verifiers_and_challenges_never_panic(v in messy_string(), c in messy_string()) {
        let _ = is_valid_verifier(&v);
        let _ = is_valid_challenge(&c);
        let _ = challenge_s256(&v);
        prop_assert!(!verify_s256(&v, &c) || is_valid_verifier(&v));
    }

    #[test]
    fn only_43_to_128_unreserved_characters_are_a_verifier(s in proptest::string::string_regex(&format!("{UNRESERVED}{{0,200}}")).expect("regex")) {
        prop_assert_eq!(is_valid_verifier(&s), (43..=128).contains(&s.len()), "{:?}", s);
    }

    #[test]
    fn a_reserved_character_is_never_a_verifier(s in verifier_with_a_bad_char()) {
        prop_assert!(!is_valid_verifier(&s), "{:?}", s);
        prop_assert!(!verify_s256(&s, &challenge_s256(&s)));
    }

    #[test]
    fn s256_round_trips_for_every_valid_verifier(v in valid_verifier(), other in valid_verifier()) {
        let challenge = challenge_s256(&v);
        prop_assert!(is_valid_challenge(&challenge));
        prop_assert!(verify_s256(&v, &challenge));
        // A verifier never passes as its own challenge (`plain` is not accepted).
        prop_assert!(!verify_s256(&v, &v));
        prop_assert_eq!(verify_s256(&other, &challenge), other == v);
    }

    #[test]
    fn random_bytes_make_valid_verifiers(bytes in prop::collection::vec(any::<u8>(), 32..=96)) {
        let v = verifier_from_bytes(&bytes);
        prop_assert!(is_valid_verifier(&v));
        prop_assert!(verify_s256(&v, &challenge_s256(&v)));
    }
}
