//! A strict reader of a JSON object, field by field, for the wire types the browser client
//! parses: it checks what `#[derive(Deserialize)]` checks (required members, member types, no
//! duplicate keys; unknown members are ignored), but one shared body does it, where the derive
//! writes a visitor per struct whose code lands in the SPA's flow futures (~1.6 KB gzipped for
//! the AS metadata alone). A member that is wrong does not return at once: the reader gives the
//! type's default, keeps the first error, and [`Fields::finish`] returns it once the record is
//! built. With a `?` per member, every member's early return dropped all the members read before
//! it, code that grew with the square of the member count in every record.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, Visitor};
use serde_json::{Map, Value};

mod record;
pub use record::Record;

/// The members of one JSON object, taken out one by one by the typed readers below, and the
/// first error met.
#[derive(Default)]
pub struct Fields {
    members: Map<String, Value>,
    error: Option<String>,
}

/// The error type the readers build their messages with (the same texts `serde_json` gives).
type Plain = serde::de::value::Error;

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
        Ok(Fields { members: out, error: None })
    }
}

/// The derive's "invalid type" error, in serde_json's words for what was found (`null`,
/// `integer `1``, `string "x"`, `sequence`, `map`): not through serde's `Unexpected`, whose
/// `Display` brings float formatting into the SPA.
fn invalid(v: &Value, expected: &str) -> Plain {
    let found = match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => n.as_i64().map_or_else(|| "number".to_owned(), |i| format!("integer `{i}`")),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".to_owned(),
        Value::Object(_) => "map".to_owned(),
    };
    Plain::custom(format_args!("invalid type: {found}, expected {expected}"))
}

fn string(v: Value) -> Result<String, Plain> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(invalid(&other, "a string")),
    }
}

fn strings(v: Value) -> Result<Vec<String>, Plain> {
    match v {
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(string(item)?);
            }
            Ok(out)
        }
        other => Err(invalid(&other, "a sequence")),
    }
}

/// A list of `[name, value]` pairs (a Rust `(String, String)` is a two-element array). A
/// plain loop: a `collect` into `Result` cost the SPA an adapter of its own.
fn pairs(v: Value) -> Result<Vec<(String, String)>, Plain> {
    let Value::Array(items) = v else { return Err(invalid(&v, "a sequence")) };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Array(pair) = item else { return Err(invalid(&item, "a pair")) };
        match <[Value; 2]>::try_from(pair) {
            Ok([name, value]) => out.push((string(name)?, string(value)?)),
            Err(other) => return Err(Plain::invalid_length(other.len(), &"a pair")),
        }
    }
    Ok(out)
}

impl Fields {
    /// `result`'s value, or the default when it failed (the first failure is kept for
    /// [`Fields::finish`]).
    fn keep<T: Default, D: fmt::Display>(&mut self, result: Result<T, D>) -> T {
        result.unwrap_or_else(|e| {
            self.error.get_or_insert_with(|| e.to_string());
            T::default()
        })
    }

    /// `Deserialize` through a reader: the object's members, `read`, then the first error.
    pub fn read_with<'de, D: Deserializer<'de>, T>(d: D, read: fn(&mut Fields) -> T) -> Result<T, D::Error> {
        let mut f = Fields::deserialize(d)?;
        let record = read(&mut f);
        f.finish(record)
    }

    /// The record built from the members, or the first error a reader met.
    pub fn finish<T, E: Error>(self, record: T) -> Result<T, E> {
        match self.error {
            None => Ok(record),
            Some(message) => Err(E::custom(message)),
        }
    }

    /// A member, taken out by reference (left `null`): `BTreeMap::remove` would bring the tree's
    /// rebalancing code (~4 KB before wasm-opt) into the SPA; every reader reads a key once.
    fn member(&mut self, key: &str) -> Option<Value> {
        self.members.get_mut(key).map(Value::take)
    }

    fn take(&mut self, key: &'static str) -> Result<Value, Plain> {
        self.member(key).ok_or_else(|| Plain::missing_field(key))
    }

    /// A member that must be present and non-null (absent or `null` is an error).
    fn present(&mut self, key: &'static str) -> Option<Value> {
        self.member(key).filter(|v| !v.is_null())
    }

    /// A required string.
    pub fn string(&mut self, key: &'static str) -> String {
        let r = self.take(key).and_then(string);
        self.keep(r)
    }

    /// A string that is empty when absent (`null` is an error, as with `#[serde(default)]`).
    pub fn string_or_empty(&mut self, key: &'static str) -> String {
        let r = self.member(key).map_or_else(|| Ok(String::new()), string);
        self.keep(r)
    }

    /// An optional string: absent and `null` are `None`.
    pub fn opt_string(&mut self, key: &'static str) -> Option<String> {
        let r = self.present(key).map(string).transpose();
        self.keep(r)
    }

    /// A required string that must be one of `names`; its index (0 when it is not).
    pub fn choice(&mut self, key: &'static str, names: &'static [&'static str]) -> usize {
        let name = self.string(key);
        let r = names.iter().position(|n| *n == name).ok_or_else(|| Plain::unknown_variant(&name, names));
        self.keep(r)
    }

    /// A required list of strings.
    pub fn strings(&mut self, key: &'static str) -> Vec<String> {
        let r = self.take(key).and_then(strings);
        self.keep(r)
    }

    /// A list of strings that is empty when absent (`null` is an error, as with `#[serde(default)]`).
    pub fn strings_or_empty(&mut self, key: &'static str) -> Vec<String> {
        self.strings_or(key, Vec::new)
    }

    /// A list of strings that is `default()` when absent (`null` is an error).
    pub fn strings_or(&mut self, key: &'static str, default: fn() -> Vec<String>) -> Vec<String> {
        let r = self.member(key).map_or_else(|| Ok(default()), strings);
        self.keep(r)
    }

    /// An optional list of strings: absent and `null` are `None`.
    pub fn opt_strings(&mut self, key: &'static str) -> Option<Vec<String>> {
        let r = self.present(key).map(strings).transpose();
        self.keep(r)
    }

    /// A boolean that is `false` when absent.
    pub fn flag(&mut self, key: &'static str) -> bool {
        let r = match self.member(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(other) => Err(invalid(&other, "a boolean")),
        };
        self.keep(r)
    }

    /// An optional integer: absent and `null` are `None`.
    pub fn opt_i64(&mut self, key: &'static str) -> Option<i64> {
        let r = self.present(key).map(|v| v.as_i64().ok_or_else(|| invalid(&v, "i64")));
        self.keep(r.transpose())
    }

    /// A required boolean.
    pub fn boolean(&mut self, key: &'static str) -> bool {
        let r = self.take(key).and_then(|v| v.as_bool().ok_or_else(|| invalid(&v, "a boolean")));
        self.keep(r)
    }

    /// A required integer.
    pub fn i64(&mut self, key: &'static str) -> i64 {
        let r = self.take(key).and_then(|v| v.as_i64().ok_or_else(|| invalid(&v, "i64")));
        self.keep(r)
    }

    /// An optional non-negative integer: absent and `null` are `None`.
    pub fn opt_u64(&mut self, key: &'static str) -> Option<u64> {
        let r = self.present(key).map(|v| v.as_u64().ok_or_else(|| invalid(&v, "u64")));
        self.keep(r.transpose())
    }

    /// An optional small integer: absent and `null` are `None`.
    pub fn opt_u16(&mut self, key: &'static str) -> Option<u16> {
        let r =
            self.present(key).map(|v| v.as_u64().and_then(|n| u16::try_from(n).ok()).ok_or_else(|| invalid(&v, "u16")));
        self.keep(r.transpose())
    }

    /// A list of `[name, value]` pairs that is empty when absent (`null` is an error).
    pub fn pairs_or_empty(&mut self, key: &'static str) -> Vec<(String, String)> {
        let r = self.member(key).map_or_else(|| Ok(Vec::new()), pairs);
        self.keep(r)
    }

    /// A list of objects, each read by `read` with the same rules, that is empty when absent;
    /// an error inside one is this record's error.
    pub fn records<T>(&mut self, key: &'static str, read: fn(&mut Fields) -> T) -> Vec<T> {
        let r = match self.member(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(invalid(&other, "a sequence")),
        };
        self.keep(r).into_iter().map(|item| self.nested(item, read)).collect()
    }

    /// A required object, read by `read` with the same rules (a nested struct).
    pub fn record<T>(&mut self, key: &'static str, read: fn(&mut Fields) -> T) -> T {
        let r = self.take(key).map_err(|e| self.keep::<(), _>(Err(e)));
        self.nested(r.unwrap_or_default(), read)
    }

    /// Reads a nested object with `read`; a nested error becomes this record's (when it is the
    /// first). Not a `Result` per item: the readers stay plain functions.
    fn nested<T>(&mut self, v: Value, read: fn(&mut Fields) -> T) -> T {
        let members = match v {
            Value::Object(members) => members,
            other => {
                self.keep::<(), _>(Err(invalid(&other, "a JSON object")));
                Map::new()
            }
        };
        let mut child = Fields { members, error: None };
        let value = read(&mut child);
        if let Some(e) = child.error {
            self.error.get_or_insert(e);
        }
        value
    }

    /// A required non-negative integer.
    pub fn u64(&mut self, key: &'static str) -> u64 {
        let r = self.take(key).and_then(|v| v.as_u64().ok_or_else(|| invalid(&v, "u64")));
        self.keep(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: &str) -> Result<Fields, serde_json::Error> {
        serde_json::from_str(json)
    }

    fn error(f: Fields) -> String {
        f.finish::<(), serde_json::Error>(()).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn types_presence_and_duplicates_are_checked_as_the_derive_does() {
        let mut f = fields(r#"{"s":"a","n":null,"l":["x"],"b":true,"i":-3,"u":7,"extra":{}}"#).expect("object");
        assert_eq!(f.string("s"), "a");
        assert_eq!(f.opt_string("n"), None, "null is None");
        assert_eq!(f.strings("l"), ["x"]);
        assert!(f.flag("b"));
        assert_eq!(f.opt_i64("i"), Some(-3));
        assert_eq!(f.u64("u"), 7);
        assert!(!f.flag("absent"));
        assert!(f.strings_or_empty("absent").is_empty());
        assert!(f.error.is_none(), "{:?}", f.error);
        // A member is read once (no reader asks twice): taken, it is left `null`.
        assert_eq!(f.string("s"), "", "a member is read once");
        assert_eq!(error(f), "invalid type: null, expected a string");
        let mut f = fields("{}").expect("object");
        assert_eq!(f.string("s"), "", "absent is missing");
        assert_eq!(error(f), "missing field `s`");

        for (json, read, message) in [
            (
                r#"{"s":1}"#,
                (|f: &mut Fields| drop(f.string("s"))) as fn(&mut Fields),
                "invalid type: integer `1`, expected a string",
            ),
            (r#"{"l":["x",2]}"#, |f| drop(f.strings("l")), "invalid type: integer `2`, expected a string"),
            (r#"{"nl":null}"#, |f| drop(f.strings_or_empty("nl")), "invalid type: null, expected a sequence"),
            (
                r#"{"b":"yes"}"#,
                |f| {
                    let _ = f.flag("b");
                },
                "invalid type: string \"yes\", expected a boolean",
            ),
            (
                r#"{"u":-1}"#,
                |f| {
                    let _ = f.u64("u");
                },
                "invalid type: integer `-1`, expected u64",
            ),
            (
                r#"{"c":"neither"}"#,
                |f| {
                    let _ = f.choice("c", &["a", "b"]);
                },
                "unknown variant `neither`, expected `a` or `b`",
            ),
        ] {
            let mut f = fields(json).expect("object");
            read(&mut f);
            assert!(error(f).starts_with(message), "{json}");
        }

        let mut f = fields(r#"{"a":1,"b":2}"#).expect("object");
        let (_, _) = (f.string("a"), f.string("b"));
        assert!(error(f).contains("`1`"), "the first error is the one kept");

        let dup = fields(r#"{"issuer":"a","issuer":"b"}"#).err().expect("duplicate keys refused");
        assert!(dup.to_string().contains("duplicate field `issuer`"), "{dup}");
        assert!(fields("[]").is_err() && fields("\"x\"").is_err());
    }

    #[test]
    fn an_error_in_a_nested_record_is_the_records_first_error() {
        fn read(f: &mut Fields) -> (String, bool) {
            (f.string("s"), f.flag("b"))
        }
        let mut f = fields(r#"{"one":{"s":"a"},"many":[{"s":"b","b":true},{"s":"c"}]}"#).expect("object");
        assert_eq!(f.record("one", read), ("a".to_owned(), false));
        assert_eq!(f.records("many", read), [("b".to_owned(), true), ("c".to_owned(), false)]);
        assert!(f.records("absent", read).is_empty());
        assert!(f.error.is_none(), "{:?}", f.error);
        for (json, message) in [
            (r#"{"many":[{"s":"b"},{"s":2}]}"#, "invalid type: integer `2`, expected a string"),
            (r#"{"many":[1,{"s":3}]}"#, "invalid type: integer `1`, expected a JSON object"),
            (r#"{"many":{}}"#, "invalid type: map, expected a sequence"),
            (r#"{"one":null}"#, "invalid type: null, expected a JSON object"),
            ("{}", "missing field `one`"),
        ] {
            let mut f = fields(json).expect("object");
            let _ = if json.contains("many") { f.records("many", read).len() } else { f.record("one", read).0.len() };
            assert!(error(f).starts_with(message), "{json}");
        }
    }
}
