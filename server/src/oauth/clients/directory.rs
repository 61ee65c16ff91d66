//! The one client-lookup path: `/authorize`, `/token`, refresh, `/revoke` and the pages all find
//! clients here. A `client_id` that is a Client ID Metadata Document URL is resolved by fetching
//! that document (or from its cache) and its row in the store refreshed, so the requests, codes,
//! tokens and grants that reference it stay valid; a refused document is an `invalid_client`
//! error saying why. Every other id is looked up in the store. The store itself does no HTTP.

use std::sync::Arc;

use crate::error::Error;
use crate::oauth::cimd::{ClientDocuments, ClientIdKind};
use crate::store::{AuditEvent, Client, Store};

#[derive(Clone, Default)]
pub struct ClientDirectory {
    /// `None` outside a running server (CLI commands, tests of the store alone).
    documents: Option<Arc<ClientDocuments>>,
}

impl ClientDirectory {
    /// A directory that also resolves metadata-document client ids through `documents`.
    #[must_use]
    pub fn with_documents(documents: Arc<ClientDocuments>) -> Self {
        Self { documents: Some(documents) }
    }

    /// The client named `client_id`: `NotFound` when it is not registered, an OAuth error when
    /// its metadata document is refused.
    pub async fn lookup(&self, store: &dyn Store, client_id: &str) -> Result<Client, Error> {
        if let Some(documents) = &self.documents {
            let refusal = match documents.classify(client_id) {
                ClientIdKind::Registered => None,
                ClientIdKind::BadDocumentUrl(reason) => Some(crate::oauth::cimd::refused(reason)),
                ClientIdKind::Document(url) => match documents.resolve(&url, crate::store::now()).await {
                    Ok(client) => {
                        store.save_document_client(&client).await?;
                        return Ok(client);
                    }
                    Err(e) => Some(e),
                },
            };
            if let Some(e) = refusal {
                if let Error::OAuth { description, .. } = &e {
                    store.audit(AuditEvent::ClientMetadataRefused, None, Some(client_id), description).await;
                }
                return Err(e);
            }
        }
        store.find_client(client_id).await?.ok_or(Error::NotFound)
    }

    /// The client named `client_id`, or `None` when it is unknown or its metadata document was
    /// refused (see [`ClientDirectory::lookup`] for the reason).
    pub async fn find(&self, store: &dyn Store, client_id: &str) -> Result<Option<Client>, Error> {
        match self.lookup(store, client_id).await {
            Ok(client) => Ok(Some(client)),
            Err(Error::NotFound | Error::OAuth { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
