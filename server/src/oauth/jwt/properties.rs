//! `verify` on outside input: arbitrary strings and arbitrary three-part tokens are refused
//! without a panic, and a signed token verifies exactly when its claims meet the expectations.

use proptest::prelude::*;

use super::*;
use crate::oauth::arbitrary::{config, json, string};

const ISS: &str = "https://as.example";
const AUD: &str = "https://rs.example/mcp";
const NOW: i64 = 1_700_000_000;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn keys() -> HashMap<String, VerifyingKey> {
    HashMap::from([("k1".to_owned(), key(1).verifying_key())])
}

fn expect(leeway: i64) -> Expect<'static> {
    Expect { issuer: ISS, audience: AUD, now: NOW, leeway }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A time near `NOW` (where the checks decide), or anywhere at all.
fn time() -> impl Strategy<Value = i64> {
    prop_oneof![8 => NOW - 90..NOW + 90, 1 => any::<i64>(), 1 => Just(i64::MIN), 1 => Just(i64::MAX)]
}

fn claims() -> impl Strategy<Value = AccessClaims> {
    let iss =
        prop_oneof![3 => Just(ISS), 1 => prop::sample::select(vec!["https://evil.example", "https://as.example/", ""])];
    let aud = prop_oneof![3 => Just(AUD), 1 => prop::sample::select(vec!["https://rs.example/mcp/", "https://x.example/mcp"])];
    // Mostly expiring after `NOW` and issued before it, so that every check gets to decide.
    let exp = prop_oneof![3 => NOW..NOW + 900, 1 => time()];
    let iat = prop_oneof![3 => NOW - 900..NOW, 1 => time()];
    let nbf = prop_oneof![2 => Just(None), 1 => prop::option::of(time())];
    (iss, aud, string(), string(), exp, iat, nbf).prop_map(|(iss, aud, sub, scope, exp, iat, nbf)| AccessClaims {
        iss: iss.into(),
        sub,
        aud: aud.into(),
        client_id: "c1".into(),
        scope,
        exp,
        iat,
        nbf,
        jti: "j".into(),
        gid: Some("g".into()),
    })
}

/// Headers around the one we accept: other algorithms, `typ`s and `kid`s, missing members.
fn header() -> impl Strategy<Value = String> {
    let alg = prop::sample::select(vec![Some("EdDSA"), Some("none"), Some("HS256"), Some("eddsa"), None]);
    let typ = prop::sample::select(vec![Some("at+jwt"), Some("AT+JWT"), Some("application/at+jwt"), Some("JWT"), None]);
    let kid = prop::sample::select(vec![Some("k1"), Some("k2"), Some(""), None]);
    (alg, typ, kid).prop_map(|(alg, typ, kid)| {
        let mut h = serde_json::Map::new();
        for (name, value) in [("alg", alg), ("typ", typ), ("kid", kid)] {
            if let Some(v) = value {
                h.insert(name.into(), v.into());
            }
        }
        serde_json::Value::Object(h).to_string()
    })
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn arbitrary_strings_are_refused(token in prop_oneof![any::<String>(), "[A-Za-z0-9_.=+/-]{0,120}"]) {
        prop_assert!(verify(&token, &keys(), &expect(30)).is_err());
    }

    #[test]
    fn arbitrary_three_part_tokens_are_refused(
        h in prop_oneof![prop::collection::vec(any::<u8>(), 0..64), header().prop_map(String::into_bytes)],
        p in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            json(&["iss", "aud", "exp", "iat", "sub"]).prop_map(|v| v.to_string().into_bytes()),
        ],
        s in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let token = format!("{}.{}.{}", b64(&h), b64(&p), b64(&s));
        prop_assert!(verify(&token, &keys(), &expect(30)).is_err(), "{}", token);
    }

    #[test]
    fn only_our_header_with_a_valid_signature_is_accepted(h in header(), c in claims(), signer in 1u8..=2) {
        let input = format!("{}.{}", b64(h.as_bytes()), b64(&serde_json::to_vec(&c).expect("claims")));
        let token = format!("{input}.{}", b64(&key(signer).sign(input.as_bytes()).to_bytes()));
        let header: serde_json::Value = serde_json::from_str(&h).expect("header");
        let typ_ok = header["typ"].as_str().is_some_and(|t| t.eq_ignore_ascii_case(TYP) || t == "application/at+jwt");
        let known_form = header["alg"] == ALG && typ_ok;
        // A huge leeway: only the header and the signature decide here.
        let result = verify(&token, &keys(), &expect(i64::MAX / 4));
        if !(known_form && header["kid"] == "k1" && signer == 1) {
            prop_assert!(result.is_err(), "{} accepted", h);
        }
        if known_form && header["kid"] == "k2" {
            // Unknown keys are told apart, so the caller may refresh its JWKS once.
            prop_assert_eq!(result, Err(Invalid::UnknownKey("k2".into())));
        }
    }

    #[test]
    fn signed_tokens_verify_iff_the_claims_meet_expectations(c in claims(), leeway in 0i64..=60) {
        let token = sign("k1", &key(1), &c);
        let latest_start = NOW + leeway;
        let expected = c.iss == ISS
            && c.aud == AUD
            && c.exp > NOW - leeway
            && c.iat <= latest_start
            && c.nbf.unwrap_or(c.iat) <= latest_start;
        let result = verify(&token, &keys(), &expect(leeway));
        prop_assert_eq!(result.is_ok(), expected, "{:?}: {:?}", c, result);
        if let Ok(got) = result {
            prop_assert_eq!(&got, &c);
        }
        // The same claims signed by a key we do not hold never verify.
        prop_assert!(verify(&sign("k1", &key(2), &c), &keys(), &expect(leeway)).is_err());
    }

    #[test]
    fn any_change_to_a_signed_token_is_refused(c in claims(), at in any::<prop::sample::Index>(), with in "[A-Za-z0-9_.-]") {
        let token = sign("k1", &key(1), &c);
        let i = at.index(token.len());
        prop_assume!(token[i..=i] != with);
        let changed = format!("{}{with}{}", &token[..i], &token[i + 1..]);
        prop_assert!(verify(&changed, &keys(), &expect(i64::MAX / 4)).is_err(), "{}", changed);
    }
}
