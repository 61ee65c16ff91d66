//! `application/x-www-form-urlencoded` (WHATWG URL §5): query strings and form bodies, parsed
//! and written. A few lines instead of the `form_urlencoded` crate and its percent-encoding
//! tables (~1 KB of the SPA's gzipped download); property tests check it against that crate,
//! byte for byte, on arbitrary input.

use std::borrow::Cow;

/// The name/value pairs of `input`, decoded (`+` is a space, `%XX` a byte, anything else as
/// is; invalid UTF-8 becomes U+FFFD). Empty sequences between `&`s are skipped; a pair without
/// `=` has an empty value.
pub fn parse(input: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    input.split('&').filter(|s| !s.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(name), decode(value))
    })
}

fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['+', '%']) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped =
            (bytes[i] == b'%').then(|| Some((hex(*bytes.get(i + 1)?)? << 4) | hex(*bytes.get(i + 2)?)?)).flatten();
        match (bytes[i], escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (other, None) => {
                out.push(other);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// `s` form-encoded: ASCII letters, digits and `*-._` as they are, a space as `+`, every other
/// byte of its UTF-8 as `%XX`.
#[must_use]
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_encoded(&mut out, s);
    out
}

fn push_encoded(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

/// Appends `name=value` to `out`, after an `&` when `out` already has pairs.
pub fn append_pair(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    push_encoded(out, name);
    out.push('=');
    push_encoded(out, value);
}

/// The pairs as one encoded string.
#[must_use]
pub fn encode_pairs<'p>(pairs: impl IntoIterator<Item = (&'p str, &'p str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        append_pair(&mut out, name, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    #[test]
    fn decodes_plus_percent_and_leaves_broken_escapes() {
        let pairs: Vec<(String, String)> = super::parse("a=1&&b=x+y%20z&c&d=%zz%4&e=%C3%A9&f=%FF")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let expected = [("a", "1"), ("b", "x y z"), ("c", ""), ("d", "%zz%4"), ("e", "é"), ("f", "\u{fffd}")];
        assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
        assert_eq!(
            super::encode_pairs([("scope", "a b"), ("r", "http://x/?q=1&é")]),
            "scope=a+b&r=http%3A%2F%2Fx%2F%3Fq%3D1%26%C3%A9"
        );
    }

    /// Strings rich in the characters that matter here: `%`, `+`, `&`, `=`, hex digits, spaces,
    /// non-ASCII.
    fn form_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('%'),
                Just('+'),
                Just('&'),
                Just('='),
                Just(' '),
                Just('A'),
                Just('f'),
                Just('3'),
                Just('é'),
                Just('~'),
                Just('*'),
                any::<char>()
            ],
            0..40,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn parsing_agrees_with_the_form_urlencoded_crate(input in form_text()) {
            let ours: Vec<_> = super::parse(&input).collect();
            let theirs: Vec<_> = form_urlencoded::parse(input.as_bytes()).collect();
            prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn writing_agrees_with_the_form_urlencoded_crate(pairs in proptest::collection::vec((form_text(), form_text()), 0..4)) {
            let ours = super::encode_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let theirs = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
            prop_assert_eq!(&ours, &theirs);
            for (k, _) in &pairs {
                prop_assert_eq!(super::encode(k), form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>());
            }
        }
    }
}
