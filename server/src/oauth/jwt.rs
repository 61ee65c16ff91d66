//! JWT access tokens (RFC 9068), signed with Ed25519 (`alg: EdDSA`). Pure functions: no I/O, no
//! clock. Verification accepts exactly one algorithm and one `typ`, so `alg: none` and algorithm
//! confusion are impossible by construction.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

pub const ALG: &str = "EdDSA";
pub const TYP: &str = "at+jwt";
/// Clock skew tolerated between the authorization and resource servers by default, in seconds.
pub const DEFAULT_LEEWAY: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

/// RFC 9068 §2.2 claims.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub scope: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    /// The grant (one authorization and its refreshes) this token belongs to, which resource
    /// servers match against the revocation log. Absent only in tokens from before grants had ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
}

pub fn sign(kid: &str, key: &SigningKey, claims: &AccessClaims) -> String {
    let header = Header { alg: ALG.into(), typ: Some(TYP.into()), kid: Some(kid.into()) };
    let encode = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
    let signing_input = format!(
        "{}.{}",
        encode(&serde_json::to_vec(&header).unwrap_or_default()),
        encode(&serde_json::to_vec(claims).unwrap_or_default())
    );
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", encode(&signature.to_bytes()))
}

/// What the resource server requires of a token.
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now: i64,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    pub leeway: i64,
}

/// Why a token was refused (the description goes into `error_description`).
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    Malformed,
    /// Signed by a key we do not (yet) know: the caller may refresh its JWKS once.
    UnknownKey(String),
    Refused(&'static str),
}

/// Verifies signature, header, issuer, audience and times; returns the claims.
pub fn verify(token: &str, keys: &HashMap<String, VerifyingKey>, expect: &Expect<'_>) -> Result<AccessClaims, Invalid> {
    verify_keyed(token, keys, expect).map(|(claims, _)| claims)
}

/// [`verify`], also naming the `kid` of the key that verified the signature.
pub fn verify_keyed(
    token: &str,
    keys: &HashMap<String, VerifyingKey>,
    expect: &Expect<'_>,
) -> Result<(AccessClaims, String), Invalid> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Invalid::Malformed);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| Invalid::Malformed);
    let header: Header = serde_json::from_slice(&decode(h)?).map_err(|_| Invalid::Malformed)?;
    if header.alg != ALG {
        return Err(Invalid::Refused("the access token uses an algorithm this server does not accept"));
    }
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(TYP) || t.eq_ignore_ascii_case("application/at+jwt"))
    {
        return Err(Invalid::Refused("the token is not an access token (typ must be at+jwt)"));
    }
    let kid = header.kid.ok_or(Invalid::Refused("the access token names no key"))?;
    let key = keys.get(&kid).ok_or_else(|| Invalid::UnknownKey(kid.clone()))?;
    let signature = Signature::from_slice(&decode(s)?).map_err(|_| Invalid::Malformed)?;
    key.verify_strict(format!("{h}.{p}").as_bytes(), &signature)
        .map_err(|_| Invalid::Refused("the access token signature is invalid"))?;
    let claims: AccessClaims = serde_json::from_slice(&decode(p)?).map_err(|_| Invalid::Malformed)?;
    if claims.iss != expect.issuer {
        return Err(Invalid::Refused("the access token was issued by another authorization server"));
    }
    if claims.aud != expect.audience {
        return Err(Invalid::Refused("the access token is not meant for this resource"));
    }
    check_times(claims.exp, claims.nbf, claims.iat, expect)?;
    Ok((claims, kid))
}

/// The time checks of [`verify`] (`exp`, `nbf`, `iat` with the leeway), also made on every use of
/// a token verified earlier.
pub fn check_times(exp: i64, nbf: Option<i64>, iat: i64, expect: &Expect<'_>) -> Result<(), Invalid> {
    if exp <= expect.now - expect.leeway {
        return Err(Invalid::Refused("the access token has expired"));
    }
    let latest_start = expect.now + expect.leeway;
    if nbf.unwrap_or(iat) > latest_start || iat > latest_start {
        return Err(Invalid::Refused("the access token is not valid yet"));
    }
    Ok(())
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn claims(now: i64) -> AccessClaims {
        AccessClaims {
            iss: "https://as.example".into(),
            sub: "u1".into(),
            aud: "https://rs.example/mcp".into(),
            client_id: "c1".into(),
            scope: "user".into(),
            exp: now + 600,
            iat: now,
            nbf: None,
            jti: "j1".into(),
            gid: Some("g1".into()),
        }
    }

    fn expect(now: i64) -> Expect<'static> {
        Expect { issuer: "https://as.example", audience: "https://rs.example/mcp", now, leeway: DEFAULT_LEEWAY }
    }

    fn keys() -> HashMap<String, VerifyingKey> {
        HashMap::from([("k1".to_owned(), key(1).verifying_key())])
    }

    fn forge(header: &str, claims: &AccessClaims, signer: &SigningKey) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("json"))
        );
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes()).to_bytes()))
    }

    #[test]
    fn round_trip() {
        let t = sign("k1", &key(1), &claims(1000));
        assert_eq!(verify(&t, &keys(), &expect(1000)), Ok(claims(1000)));
    }

    #[test]
    fn refuses_forgeries_and_wrong_claims() {
        let now = 1000;
        let wrong_key = sign("k1", &key(2), &claims(now));
        assert!(matches!(verify(&wrong_key, &keys(), &expect(now)), Err(Invalid::Refused(_))));
        assert_eq!(
            verify(&sign("k9", &key(1), &claims(now)), &keys(), &expect(now)),
            Err(Invalid::UnknownKey("k9".into()))
        );
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(b"{}")
        );
        assert!(matches!(verify(&none, &keys(), &expect(now)), Err(Invalid::Refused(_))));
        let hs = forge(r#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#, &claims(now), &key(1));
        assert!(matches!(verify(&hs, &keys(), &expect(now)), Err(Invalid::Refused(_))));
        let id_token = forge(r#"{"alg":"EdDSA","typ":"JWT","kid":"k1"}"#, &claims(now), &key(1));
        assert!(matches!(verify(&id_token, &keys(), &expect(now)), Err(Invalid::Refused(_))));
        let mut other = claims(now);
        other.aud = "https://other.example/mcp".into();
        assert!(matches!(verify(&sign("k1", &key(1), &other), &keys(), &expect(now)), Err(Invalid::Refused(_))));
        let mut other = claims(now);
        other.iss = "https://evil.example".into();
        assert!(matches!(verify(&sign("k1", &key(1), &other), &keys(), &expect(now)), Err(Invalid::Refused(_))));
        assert!(matches!(
            verify(&sign("k1", &key(1), &claims(now)), &keys(), &expect(now + 700)),
            Err(Invalid::Refused(_))
        ));
        assert!(matches!(
            verify(&sign("k1", &key(1), &claims(now)), &keys(), &expect(now - 100)),
            Err(Invalid::Refused(_))
        ));
        let t = sign("k1", &key(1), &claims(now));
        let tampered = t.replacen('.', ".x", 1);
        assert!(verify(&tampered, &keys(), &expect(now)).is_err());
        assert_eq!(verify("a.b", &keys(), &expect(now)), Err(Invalid::Malformed));
        assert_eq!(verify("a.b.c.d", &keys(), &expect(now)), Err(Invalid::Malformed));
    }

    #[test]
    fn leeway_bounds_expiry_and_start_both_ways() {
        let t = sign("k1", &key(1), &claims(1000)); // iat 1000, exp 1600
        let at = |now, leeway| verify(&t, &keys(), &Expect { leeway, ..expect(now) });
        assert!(at(1629, 30).is_ok(), "29 s after exp, within 30 s of leeway");
        assert_eq!(at(1630, 30), Err(Invalid::Refused("the access token has expired")));
        assert_eq!(at(1600, 0), Err(Invalid::Refused("the access token has expired")));
        assert!(at(1599, 0).is_ok());
        assert!(at(990, 10).is_ok(), "issued 10 s in the future, within leeway");
        assert_eq!(at(999, 0), Err(Invalid::Refused("the access token is not valid yet")));
    }
}
