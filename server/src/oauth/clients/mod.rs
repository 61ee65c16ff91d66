//! Clients: the metadata rules every client meets, pre-registered clients from the clients
//! file, and client authentication at the token and revocation endpoints.

pub mod authentication;
pub mod configured;
pub mod directory;
pub mod metadata;
#[cfg(test)]
mod properties;
