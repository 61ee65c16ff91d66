//! The writing side of [`super::Fields`] (see [`Record`]).

use std::fmt;

/// The writing side of [`super::Fields`]: a JSON object written member by member, each value escaped
/// by `serde_json`'s one string writer. The records a front end stores are written through it,
/// where a derived `Serialize` per struct (and serde's flattening for the records that extend
/// the core's) each put a serializer of their own into the SPA. The output is what the derive
/// writes (`null` for an absent optional member), so either side reads the other's records.
pub struct Record(String);

impl Default for Record {
    fn default() -> Self {
        Self("{".to_owned())
    }
}

/// `s` as a JSON string.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A JSON array of `values`, each written by `item`: straight into one string, no list of
/// item texts joined after.
fn array<T>(values: &[T], item: impl Fn(&T) -> String) -> String {
    let mut out = String::from("[");
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item(value));
    }
    out.push(']');
    out
}

impl Record {
    /// The object's text.
    #[must_use]
    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }

    /// A member whose value is already JSON text.
    pub fn raw(&mut self, key: &str, json: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&quoted(key));
        self.0.push(':');
        self.0.push_str(json);
    }

    pub fn string(&mut self, key: &str, value: &str) {
        self.raw(key, &quoted(value));
    }

    /// `null` when absent.
    pub fn opt_string(&mut self, key: &str, value: Option<&str>) {
        self.raw(key, &value.map_or_else(|| "null".to_owned(), quoted));
    }

    /// A number or a boolean (their `Display` is their JSON); `null` when absent.
    pub fn plain(&mut self, key: &str, value: Option<&dyn fmt::Display>) {
        self.raw(key, &value.map_or_else(|| "null".to_owned(), ToString::to_string));
    }

    pub fn strings(&mut self, key: &str, values: &[String]) {
        self.raw(key, &array(values, |v| quoted(v)));
    }

    /// Name/value pairs as two-element arrays (what the derive writes for a tuple).
    pub fn pairs(&mut self, key: &str, pairs: &[(String, String)]) {
        self.raw(key, &array(pairs, |(n, v)| format!("[{},{}]", quoted(n), quoted(v))));
    }

    /// A nested record, written by `write`.
    pub fn record<T>(&mut self, key: &str, value: &T, write: fn(&T, &mut Record)) {
        self.raw(key, &Self::text(value, write));
    }

    /// Nested records in an array.
    pub fn records<T>(&mut self, key: &str, values: &[T], write: fn(&T, &mut Record)) {
        self.raw(key, &array(values, |v| Self::text(v, write)));
    }

    /// `value` as an object of its own.
    #[must_use]
    pub fn text<T>(value: &T, write: fn(&T, &mut Record)) -> String {
        let mut record = Self::default();
        write(value, &mut record);
        record.finish()
    }
}
