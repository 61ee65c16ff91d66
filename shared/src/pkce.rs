//! PKCE (RFC 7636) with the only method we accept, `S256`.
//!
//! Randomness comes from the caller: [`verifier_from_bytes`] turns 32 random bytes into a
//! verifier, so this module stays pure.

use sha2::{Digest, Sha256};

use crate::base64::url_safe_no_pad;

/// The only `code_challenge_method` this project accepts (OAuth 2.1 forbids `plain` for us).
pub const METHOD_S256: &str = "S256";

/// Encodes random bytes as a verifier (32 bytes give the 43 characters RFC 7636 recommends).
#[must_use]
pub fn verifier_from_bytes(random: &[u8]) -> String {
    url_safe_no_pad(random)
}

/// `BASE64URL(SHA256(ASCII(code_verifier)))`.
#[must_use]
pub fn challenge_s256(verifier: &str) -> String {
    url_safe_no_pad(&Sha256::digest(verifier.as_bytes()))
}

/// A verifier is 43–128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
#[must_use]
pub fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// An S256 challenge is exactly 43 base64url characters (a SHA-256 digest, unpadded).
#[must_use]
pub fn is_valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Checks `verifier` against a stored S256 `challenge` without an early exit on the first
/// differing byte.
#[must_use]
pub fn verify_s256(verifier: &str, challenge: &str) -> bool {
    is_valid_verifier(verifier) && constant_time_eq(challenge_s256(verifier).as_bytes(), challenge.as_bytes())
}

/// Constant-time equality for secrets of public length.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const RFC_RANDOM: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191,
        240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(verifier_from_bytes(&RFC_RANDOM), RFC_VERIFIER);
        assert_eq!(challenge_s256(RFC_VERIFIER), RFC_CHALLENGE);
        assert!(verify_s256(RFC_VERIFIER, RFC_CHALLENGE));
        assert!(is_valid_challenge(RFC_CHALLENGE));
    }

    #[test]
    fn rejects_wrong_or_malformed_verifiers() {
        let other = verifier_from_bytes(&[7u8; 32]);
        assert!(!verify_s256(&other, RFC_CHALLENGE));
        assert!(!verify_s256("short", &challenge_s256("short")));
        let with_space = format!("{} ", &RFC_VERIFIER[..43]);
        assert!(!is_valid_verifier(&with_space));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        // A `plain` challenge (the verifier itself) never passes as S256.
        assert!(!verify_s256(RFC_VERIFIER, RFC_VERIFIER));
    }

    #[test]
    fn challenge_shape() {
        assert!(!is_valid_challenge("abc"));
        assert!(!is_valid_challenge(&format!("{}=", &RFC_CHALLENGE[..42])));
        assert!(!is_valid_challenge(&RFC_CHALLENGE.replace('-', "+")));
    }

    #[test]
    fn constant_time_eq_basics() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
