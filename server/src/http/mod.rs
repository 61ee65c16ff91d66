//! Thin HTTP handlers: each file owns a few routes and translates between axum and the protocol
//! logic in `oauth`. CORS and security headers live here too.

pub mod body;
pub mod client_addr;
pub mod cors;
pub mod health;
pub mod introspect;
pub mod metadata;
pub mod rate_limit;
pub mod register;
pub mod revocation_feed;
pub mod revoke;
pub mod token;

use std::sync::Arc;

use crate::config::Settings;
use crate::oauth::keys::SigningKeys;
use crate::store::SharedStore;

/// Everything a handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: SharedStore,
    pub settings: Arc<Settings>,
    pub keys: Arc<SigningKeys>,
    /// The one client-lookup path (resolves metadata-document client ids).
    pub clients: crate::oauth::clients::directory::ClientDirectory,
    pub registrations: Arc<rate_limit::RateLimiter>,
    /// Revoked grants and tokens the resource server refuses (fed from the revocation log).
    pub denylist: Arc<crate::mcp::denylist::Denylist>,
    /// Runs argon2 off the async workers, a bounded number at a time.
    pub passwords: Arc<crate::oauth::password::PasswordHasher>,
    /// Prometheus counters and gauges (`--metrics-addr`); counted whether or not served.
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Largest request body any OAuth endpoint accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
