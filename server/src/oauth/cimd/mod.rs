//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25):
//! a client may use an https URL as its `client_id`; the server fetches the JSON document at that
//! URL and treats its metadata as the client's registration.
//!
//! [`ClientDocuments::resolve`] is called from the one client-lookup path
//! ([`crate::store::Store::lookup_client`]), so `/authorize`, `/token`, refresh and `/revoke`
//! all treat such clients alike. Every failure is an `invalid_client` error with a description
//! that may be shown to the user; nothing is cached on failure.

mod address;
mod cache;
mod client_id;
mod fetch;
#[cfg(test)]
mod properties;
mod validate;

use std::time::{Instant, SystemTime};

use http::StatusCode;
use shared::oauth::ErrorCode;
use url::Url;

pub use address::{is_loopback, is_public};
pub use client_id::{classify, ClientIdKind};
pub use fetch::{FetchPolicy, UNREACHABLE};

use crate::error::Error;
use crate::store::Client;

/// Fetches, validates and caches metadata documents.
#[derive(Debug)]
pub struct ClientDocuments {
    policy: FetchPolicy,
    cache: cache::DocumentCache,
    /// Bounds concurrent fetches, so a flood of made-up URLs cannot hold unbounded connections.
    fetches: tokio::sync::Semaphore,
}

const MAX_CONCURRENT_FETCHES: usize = 32;

impl ClientDocuments {
    /// `allow_insecure_loopback`: DEVELOPMENT AND TESTS ONLY, admits `http` and loopback URLs.
    pub fn new(allow_insecure_loopback: bool) -> Self {
        Self {
            policy: FetchPolicy::new(allow_insecure_loopback),
            cache: cache::DocumentCache::new(cache::CAPACITY),
            fetches: tokio::sync::Semaphore::new(MAX_CONCURRENT_FETCHES),
        }
    }

    pub fn classify(&self, client_id: &str) -> ClientIdKind {
        client_id::classify(client_id, self.policy.allow_insecure_loopback)
    }

    /// The client described by the document at `url`, from the cache or freshly fetched.
    pub async fn resolve(&self, url: &Url, now: i64) -> Result<Client, Error> {
        if let Some(client) = self.cache.get(url.as_str(), Instant::now()) {
            return Ok(client);
        }
        let permit = tokio::time::timeout(self.policy.total_timeout, self.fetches.acquire()).await;
        let Ok(Ok(_permit)) = permit else {
            return Err(refused("too many client metadata documents are being fetched; try again shortly"));
        };
        let fetched = fetch::fetch(url, self.policy).await?;
        let client = validate::client_from_document(url, &fetched.body, now)?;
        if let Some(ttl) = cache::lifetime(&fetched.headers, SystemTime::now()) {
            self.cache.put(url.as_str(), client.clone(), ttl, Instant::now());
        }
        tracing::info!(client_id = %url, "fetched client metadata document");
        Ok(client)
    }
}

/// The error for a document URL or document this server will not use.
pub(crate) fn refused(description: &str) -> Error {
    Error::OAuth {
        status: StatusCode::BAD_REQUEST,
        code: ErrorCode::InvalidClient,
        description: description.to_owned(),
    }
}

/// For pages: the host (and port) that identifies a metadata-document client, if it is one.
pub fn identity_host(client_id: &str) -> Option<String> {
    match client_id::classify(client_id, true) {
        ClientIdKind::Document(url) => {
            let host = url.host_str()?;
            Some(url.port().map_or_else(|| host.to_owned(), |p| format!("{host}:{p}")))
        }
        _ => None,
    }
}
