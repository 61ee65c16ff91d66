//! One module per route. Pages own their signals and wire flow/api results to components; they
//! do not fetch directly.

pub mod callback;
pub mod console;
pub mod home;

/// Builds `path?name=value` with proper query encoding.
#[must_use]
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    format!("{path}?{}", shared::form::encode_pairs(pairs.iter().copied()))
}
