//! A strict reader of a JSON object, field by field, for the wire types the browser client
//! parses: it checks what `#[derive(Deserialize)]` checks (required members, member types, no
//! duplicate keys; unknown members are ignored), but one shared body does it, where the derive
//! writes a visitor per struct whose code lands in the SPA's flow futures (~1.6 KB gzipped for
//! the AS metadata alone).

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, Unexpected, Visitor};
use serde_json::{Map, Value};

/// The members of one JSON object, taken out one by one by the typed readers below.
pub struct Fields(Map<String, Value>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            if out.contains_key(&key) {
                return Err(A::Error::custom(format_args!("duplicate field `{key}`")));
            }
            out.insert(key, value);
        }
        Ok(Fields(out))
    }
}

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => n.as_i64().map_or(Unexpected::Other("number"), Unexpected::Signed),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

fn string<E: Error>(v: Value) -> Result<String, E> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(E::invalid_type(unexpected(&other), &"a string")),
    }
}

fn strings<E: Error>(v: Value) -> Result<Vec<String>, E> {
    match v {
        Value::Array(items) => items.into_iter().map(string).collect(),
        other => Err(E::invalid_type(unexpected(&other), &"a sequence")),
    }
}

/// A list of `[name, value]` pairs (a Rust `(String, String)` is a two-element array).
fn pairs<E: Error>(v: Value) -> Result<Vec<(String, String)>, E> {
    let Value::Array(items) = v else { return Err(E::invalid_type(unexpected(&v), &"a sequence")) };
    items
        .into_iter()
        .map(|item| match item {
            Value::Array(pair) if pair.len() == 2 => {
                let mut pair = pair.into_iter();
                let name = pair.next().map_or_else(|| Err(E::invalid_length(0, &"a pair")), string)?;
                let value = pair.next().map_or_else(|| Err(E::invalid_length(1, &"a pair")), string)?;
                Ok((name, value))
            }
            Value::Array(other) => Err(E::invalid_length(other.len(), &"a pair")),
            other => Err(E::invalid_type(unexpected(&other), &"a pair")),
        })
        .collect()
}

impl Fields {
    fn take<E: Error>(&mut self, key: &'static str) -> Result<Value, E> {
        self.0.remove(key).ok_or_else(|| E::missing_field(key))
    }

    /// A member that must be present and non-null (absent or `null` is an error).
    fn present(&mut self, key: &'static str) -> Option<Value> {
        self.0.remove(key).filter(|v| !v.is_null())
    }

    /// A required string.
    pub fn string<E: Error>(&mut self, key: &'static str) -> Result<String, E> {
        string(self.take(key)?)
    }

    /// A string that is empty when absent (`null` is an error, as with `#[serde(default)]`).
    pub fn string_or_empty<E: Error>(&mut self, key: &'static str) -> Result<String, E> {
        self.0.remove(key).map_or_else(|| Ok(String::new()), string)
    }

    /// An optional string: absent and `null` are `None`.
    pub fn opt_string<E: Error>(&mut self, key: &'static str) -> Result<Option<String>, E> {
        self.present(key).map(string).transpose()
    }

    /// A required list of strings.
    pub fn strings<E: Error>(&mut self, key: &'static str) -> Result<Vec<String>, E> {
        strings(self.take(key)?)
    }

    /// A list of strings that is empty when absent (`null` is an error, as with `#[serde(default)]`).
    pub fn strings_or_empty<E: Error>(&mut self, key: &'static str) -> Result<Vec<String>, E> {
        self.strings_or(key, Vec::new)
    }

    /// A list of strings that is `default()` when absent (`null` is an error).
    pub fn strings_or<E: Error>(&mut self, key: &'static str, default: fn() -> Vec<String>) -> Result<Vec<String>, E> {
        self.0.remove(key).map_or_else(|| Ok(default()), strings)
    }

    /// An optional list of strings: absent and `null` are `None`.
    pub fn opt_strings<E: Error>(&mut self, key: &'static str) -> Result<Option<Vec<String>>, E> {
        self.present(key).map(strings).transpose()
    }

    /// A boolean that is `false` when absent.
    pub fn flag<E: Error>(&mut self, key: &'static str) -> Result<bool, E> {
        match self.0.remove(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(other) => Err(E::invalid_type(unexpected(&other), &"a boolean")),
        }
    }

    /// An optional integer: absent and `null` are `None`.
    pub fn opt_i64<E: Error>(&mut self, key: &'static str) -> Result<Option<i64>, E> {
        self.present(key).map(|v| v.as_i64().ok_or_else(|| E::invalid_type(unexpected(&v), &"i64"))).transpose()
    }

    /// A required boolean.
    pub fn boolean<E: Error>(&mut self, key: &'static str) -> Result<bool, E> {
        let v = self.take(key)?;
        v.as_bool().ok_or_else(|| E::invalid_type(unexpected(&v), &"a boolean"))
    }

    /// A required integer.
    pub fn i64<E: Error>(&mut self, key: &'static str) -> Result<i64, E> {
        let v = self.take(key)?;
        v.as_i64().ok_or_else(|| E::invalid_type(unexpected(&v), &"i64"))
    }

    /// An optional non-negative integer: absent and `null` are `None`.
    pub fn opt_u64<E: Error>(&mut self, key: &'static str) -> Result<Option<u64>, E> {
        self.present(key).map(|v| v.as_u64().ok_or_else(|| E::invalid_type(unexpected(&v), &"u64"))).transpose()
    }

    /// An optional small integer: absent and `null` are `None`.
    pub fn opt_u16<E: Error>(&mut self, key: &'static str) -> Result<Option<u16>, E> {
        self.present(key)
            .map(|v| {
                v.as_u64().and_then(|n| u16::try_from(n).ok()).ok_or_else(|| E::invalid_type(unexpected(&v), &"u16"))
            })
            .transpose()
    }

    /// A list of `[name, value]` pairs that is empty when absent (`null` is an error).
    pub fn pairs_or_empty<E: Error>(&mut self, key: &'static str) -> Result<Vec<(String, String)>, E> {
        self.0.remove(key).map_or_else(|| Ok(Vec::new()), pairs)
    }

    /// A list of objects (each read with the same rules) that is empty when absent.
    pub fn objects_or_empty<E: Error>(&mut self, key: &'static str) -> Result<Vec<Fields>, E> {
        match self.0.remove(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| match item {
                    Value::Object(map) => Ok(Fields(map)),
                    other => Err(E::invalid_type(unexpected(&other), &"a JSON object")),
                })
                .collect(),
            Some(other) => Err(E::invalid_type(unexpected(&other), &"a sequence")),
        }
    }

    /// A required object, read with the same rules (for a nested struct).
    pub fn object<E: Error>(&mut self, key: &'static str) -> Result<Fields, E> {
        match self.take(key)? {
            Value::Object(map) => Ok(Fields(map)),
            other => Err(E::invalid_type(unexpected(&other), &"a JSON object")),
        }
    }

    /// A required non-negative integer.
    pub fn u64<E: Error>(&mut self, key: &'static str) -> Result<u64, E> {
        let v = self.take(key)?;
        v.as_u64().ok_or_else(|| E::invalid_type(unexpected(&v), &"u64"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> Result<Fields, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn types_presence_and_duplicates_are_checked_as_the_derive_does() {
        let mut f = fields(r#"{"s":"a","n":null,"l":["x"],"b":true,"i":-3,"u":7,"extra":{}}"#).expect("object");
        assert_eq!(f.string::<serde_json::Error>("s").expect("s"), "a");
        assert_eq!(f.opt_string::<serde_json::Error>("n").expect("null is None"), None);
        assert_eq!(f.strings::<serde_json::Error>("l").expect("l"), ["x"]);
        assert!(f.flag::<serde_json::Error>("b").expect("b"));
        assert_eq!(f.opt_i64::<serde_json::Error>("i").expect("i"), Some(-3));
        assert_eq!(f.u64::<serde_json::Error>("u").expect("u"), 7);
        assert!(f.string::<serde_json::Error>("s").is_err(), "a member is read once; absent is missing");
        assert!(!f.flag::<serde_json::Error>("absent").expect("absent flag"));
        assert!(f.strings_or_empty::<serde_json::Error>("absent").expect("absent list").is_empty());

        let mut f = fields(r#"{"s":1,"l":["x",2],"nl":null,"b":"yes","u":-1}"#).expect("object");
        assert!(f.string::<serde_json::Error>("s").is_err());
        assert!(f.strings::<serde_json::Error>("l").is_err());
        assert!(f.strings_or_empty::<serde_json::Error>("nl").is_err(), "null is not an empty list");
        assert!(f.flag::<serde_json::Error>("b").is_err());
        assert!(f.u64::<serde_json::Error>("u").is_err());

        let dup = fields(r#"{"issuer":"a","issuer":"b"}"#).err().expect("duplicate keys refused");
        assert!(dup.to_string().contains("duplicate field `issuer`"), "{dup}");
        assert!(fields("[]").is_err() && fields("\"x\"").is_err());
    }
}
