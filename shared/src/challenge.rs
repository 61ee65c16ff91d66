//! The `Bearer` challenge of `WWW-Authenticate` (RFC 6750 §3, RFC 9728 §5.1): the server formats
//! it, the client parses it, with the same code so the two can never drift apart.

use std::fmt::Write as _;

/// RFC 6750 §3.1 error codes for protected-resource responses.
pub const INVALID_REQUEST: &str = "invalid_request";
pub const INVALID_TOKEN: &str = "invalid_token";
pub const INSUFFICIENT_SCOPE: &str = "insufficient_scope";

/// One `Bearer` challenge. Fields are raw (unquoted) values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    pub realm: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub scope: Option<String>,
    pub resource_metadata: Option<String>,
}

impl BearerChallenge {
    /// Formats the header value, quoting every parameter.
    #[must_use]
    pub fn to_header_value(&self) -> String {
        let mut out = String::from("Bearer");
        let params = [
            ("realm", &self.realm),
            ("error", &self.error),
            ("error_description", &self.error_description),
            ("scope", &self.scope),
            ("resource_metadata", &self.resource_metadata),
        ];
        let mut first = true;
        for (name, value) in params {
            if let Some(v) = value {
                let _ = write!(out, "{} {name}=\"{}\"", if first { "" } else { "," }, quote(v));
                first = false;
            }
        }
        out
    }

    /// Finds the `Bearer` challenge in a `WWW-Authenticate` value, which may list several
    /// challenges (`Basic realm="x", Bearer error="invalid_token"`). Unknown parameters are
    /// ignored. Returns `None` when there is no Bearer challenge, when the header cannot be read
    /// up to it, or when its own parameters are malformed (an unterminated or control-character
    /// quoted string, a name without a value, junk after a value, a repeated name: RFC 9110
    /// §11.2), never a challenge with some of its parameters silently dropped.
    #[must_use]
    pub fn parse(header: &str) -> Option<Self> {
        let mut parser = Parser { s: header.as_bytes(), i: 0 };
        loop {
            parser.skip_ws_and_commas();
            let scheme = parser.token()?;
            let params = parser.params();
            if scheme.eq_ignore_ascii_case("bearer") {
                let params = params?;
                let mut names: Vec<String> = params.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
                names.sort_unstable();
                names.dedup();
                if names.len() != params.len() {
                    return None; // a repeated parameter: which one is meant?
                }
                let mut c = Self::default();
                for (k, v) in params {
                    let slot = match k.to_ascii_lowercase().as_str() {
                        "realm" => &mut c.realm,
                        "error" => &mut c.error,
                        "error_description" => &mut c.error_description,
                        "scope" => &mut c.scope,
                        "resource_metadata" => &mut c.resource_metadata,
                        _ => continue,
                    };
                    *slot = Some(v);
                }
                return Some(c);
            }
            params?;
            if parser.at_end() {
                return None;
            }
        }
    }
}

fn quote(v: &str) -> String {
    // Header values must not break out of the quoted string or the header line.
    v.chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect()
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn skip_ws_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }

    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b) {
                self.i += 1;
            } else {
                break;
            }
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    /// A quoted-string (RFC 9110 §5.6.4); `None` when unterminated or holding a control
    /// character other than a tab.
    fn quoted(&mut self) -> Option<String> {
        self.i += 1; // opening quote
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            let b = match b {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let n = self.peek()?;
                    self.i += 1;
                    n
                }
                b => b,
            };
            if b.is_ascii_control() && b != b'\t' {
                return None;
            }
            out.push(b);
        }
        None
    }

    /// `name=value` pairs until the next challenge's scheme (a token not followed by `=`) or the
    /// end; `None` when a pair is malformed.
    fn params(&mut self) -> Option<Vec<(String, String)>> {
        let mut out = Vec::new();
        loop {
            self.skip_ws_and_commas();
            if self.at_end() {
                return Some(out);
            }
            let save = self.i;
            let name = self.token()?;
            self.skip_ws();
            if self.peek() != Some(b'=') {
                self.i = save; // a new scheme starts here
                return Some(out);
            }
            self.i += 1;
            self.skip_ws();
            let value = if self.peek() == Some(b'"') { self.quoted() } else { self.token() };
            out.push((name, value?));
            if !matches!(self.peek(), None | Some(b' ' | b'\t' | b',')) {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let c = BearerChallenge {
            error: Some(INVALID_TOKEN.into()),
            error_description: Some("token \"expired\"".into()),
            scope: Some("user".into()),
            resource_metadata: Some("http://127.0.0.1:8000/.well-known/oauth-protected-resource/mcp".into()),
            ..Default::default()
        };
        let header = c.to_header_value();
        assert!(header.starts_with("Bearer error=\"invalid_token\", "));
        assert_eq!(BearerChallenge::parse(&header), Some(c));
    }

    #[test]
    fn parses_among_other_schemes_and_unquoted_values() {
        let h = r#"Basic realm="x", Bearer realm=mcp, scope="user admin", foo=bar, resource_metadata="https://rs/.wk""#;
        let c = BearerChallenge::parse(h).expect("bearer present");
        assert_eq!(c.realm.as_deref(), Some("mcp"));
        assert_eq!(c.scope.as_deref(), Some("user admin"));
        assert_eq!(c.resource_metadata.as_deref(), Some("https://rs/.wk"));
    }

    #[test]
    fn bare_bearer_and_garbage() {
        assert_eq!(BearerChallenge::parse("Bearer"), Some(BearerChallenge::default()));
        assert_eq!(BearerChallenge::parse("Basic realm=\"x\""), None);
        assert_eq!(BearerChallenge::parse(""), None);
        // Malformed parameters refuse the whole challenge rather than drop the bad parameter.
        assert_eq!(BearerChallenge::parse("Bearer error=\"unterminated"), None);
    }

    #[test]
    fn malformed_bearer_parameters_refuse_the_challenge() {
        for garbage in [
            r#"Bearer error="invalid_token", scope="user"#,   // unterminated
            r#"Bearer error="invalid_token"x, scope="user""#, // junk after a value
            r#"Bearer error="invalid_token" @"#,
            r#"Bearer error=, scope="user""#, // a name without a value
            r#"Bearer error="a", ERROR="b""#, // repeated (names are case-insensitive)
            "Bearer error=\"a\u{1}b\"",       // a control character
            r#"Bearer scope="user\"#,
        ] {
            assert_eq!(BearerChallenge::parse(garbage), None, "{garbage:?}");
        }
        // Malformed challenges of other schemes before it hide the Bearer challenge too.
        assert_eq!(BearerChallenge::parse(r#"Basic realm="x"y, Bearer"#), None);
        // A tab is allowed in a quoted string (RFC 9110 §5.6.4).
        let tab = BearerChallenge::parse("Bearer error_description=\"a\tb\"").expect("tab");
        assert_eq!(tab.error_description.as_deref(), Some("a\tb"));
    }

    #[test]
    fn strips_control_characters_when_formatting() {
        let c = BearerChallenge { error_description: Some("a\r\nb".into()), ..Default::default() };
        assert_eq!(c.to_header_value(), "Bearer error_description=\"ab\"");
    }
}
