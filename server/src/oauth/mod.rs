//! OAuth protocol logic with no HTTP framework types: what is valid, what gets stored, what is
//! issued. The `http` and `pages` modules only translate requests and responses to and from it.

#[cfg(test)]
pub(crate) mod arbitrary;
pub mod authorize;
pub mod cimd;
pub mod clients;
pub mod introspection;
pub mod jwt;
pub mod keys;
pub mod params;
pub mod password;
pub mod refresh;
pub mod registration;
pub mod revocation;
pub mod secrets;
pub mod token;
