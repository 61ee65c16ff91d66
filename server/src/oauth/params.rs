//! Form and query parameter parsing that enforces RFC 6749 §3.1: a parameter must not appear
//! more than once, and parameters sent without a value are treated as omitted.

use std::collections::HashMap;

/// Parsed `application/x-www-form-urlencoded` parameters.
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses `raw`; `Err(name)` names the first repeated parameter.
    pub fn parse(raw: &[u8]) -> Result<Self, String> {
        let mut map = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw) {
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(k.into_owned());
            }
        }
        Ok(Self(map))
    }

    /// The value, or `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_repeats_and_treats_empty_as_absent() {
        let p = Params::parse(b"a=1&b=&c=x%20y").expect("valid");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        assert_eq!(Params::parse(b"a=1&a=2").expect_err("repeat"), "a");
    }
}
