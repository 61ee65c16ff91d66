//! Base64 encoding (RFC 4648), the two alphabets the client needs: URL-safe without padding
//! (PKCE verifiers and challenges) and standard with padding (HTTP Basic credentials). Only
//! encoding: nothing here decodes. A few lines instead of the `base64` crate, whose general
//! engine and tables were ~1 KB of the SPA's gzipped download; a property test checks every
//! output against that crate.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Standard alphabet, `=` padding (RFC 4648 §4).
#[must_use]
pub fn standard(input: &[u8]) -> String {
    encode(input, STANDARD, true)
}

/// URL-safe alphabet, no padding (RFC 4648 §5, as RFC 7636 uses it).
#[must_use]
pub fn url_safe_no_pad(input: &[u8]) -> String {
    encode(input, URL_SAFE, false)
}

fn encode(input: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        // n input bytes give n + 1 significant characters; the rest of the four are padding.
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(alphabet[((group >> (18 - 6 * i)) & 63) as usize]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    use proptest::prelude::*;

    #[test]
    fn rfc_4648_test_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in vectors {
            assert_eq!(super::standard(input.as_bytes()), expected);
            assert_eq!(super::url_safe_no_pad(input.as_bytes()), expected.trim_end_matches('='));
        }
        assert_eq!(super::url_safe_no_pad(&[0xfb, 0xff]), "-_8");
        assert_eq!(super::standard(&[0xfb, 0xff]), "+/8=");
    }

    proptest! {
        #[test]
        fn both_alphabets_agree_with_the_base64_crate(input in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(super::standard(&input), STANDARD.encode(&input));
            prop_assert_eq!(super::url_safe_no_pad(&input), URL_SAFE_NO_PAD.encode(&input));
        }
    }
}
