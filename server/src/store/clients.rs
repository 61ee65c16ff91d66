//! Registered OAuth clients (RFC 7591, and pre-registered ones from the clients file). Redirect
//! URIs are stored as the exact registered strings; client secrets only as SHA-256 hashes.

use sqlx::types::Json;

use super::{AuditEvent, Store};
use crate::error::Error;

#[derive(Clone, Debug, Default)]
pub struct Client {
    pub client_id: String,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub redirect_uris: Json<Vec<String>>,
    pub grant_types: Json<Vec<String>>,
    pub response_types: Json<Vec<String>>,
    /// `none` (public), `client_secret_basic` or `client_secret_post` (confidential).
    pub token_endpoint_auth_method: String,
    pub scope: Option<String>,
    pub created_at: i64,
    /// `web` or `native` (OpenID Connect Dynamic Client Registration §2).
    pub application_type: String,
    /// Hex SHA-256 of the client secret; `None` for public clients.
    pub client_secret_hash: Option<String>,
    /// From the clients file: never purged as unused, never replaced by registration.
    pub configured: bool,
}

impl Client {
    /// Exact string comparison (OAuth 2.1 §4.1.1), with any port allowed on loopback IP literal
    /// http URIs for native apps only (RFC 8252 §7.3; see [`shared::urls::LoopbackPorts`]).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        let registered = || self.redirect_uris.0.iter().map(String::as_str);
        let ports = shared::urls::LoopbackPorts::for_client(&self.application_type, registered());
        registered().any(|r| shared::urls::redirect_uri_matches(r, uri, ports))
    }
}

impl Store {
    /// Inserts a new client; `Conflict` when the id is taken (registration never overwrites).
    pub async fn insert_client(&self, c: &Client) -> Result<(), Error> {
        bind_metadata(
            sqlx::query(
                "INSERT INTO clients (client_id, client_name, client_uri, redirect_uris, grant_types, response_types, \
                 token_endpoint_auth_method, scope, created_at, application_type, client_secret_hash, configured) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ),
            c,
        )
        .bind(&c.client_secret_hash)
        .bind(c.configured)
        .execute(&self.pool)
        .await
        .map_err(super::conflict_or)?;
        Ok(())
    }

    /// The client named `client_id`, or `None` when it is unknown or its metadata document was
    /// refused (see [`Store::lookup_client`] for the reason).
    pub async fn find_client(&self, client_id: &str) -> Result<Option<Client>, Error> {
        match self.lookup_client(client_id).await {
            Ok(client) => Ok(Some(client)),
            Err(Error::NotFound | Error::OAuth { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The one client-lookup path. A `client_id` that is a Client ID Metadata Document URL is
    /// resolved by fetching that document (or from its cache) and its row here refreshed, so the
    /// requests, codes, tokens and grants that reference it stay valid; a refused document is an
    /// `invalid_client` error saying why. Other ids: `NotFound` when not registered.
    pub async fn lookup_client(&self, client_id: &str) -> Result<Client, Error> {
        use crate::oauth::cimd::ClientIdKind;
        if let Some(documents) = &self.client_documents {
            let refusal = match documents.classify(client_id) {
                ClientIdKind::Registered => None,
                ClientIdKind::BadDocumentUrl(reason) => Some(crate::oauth::cimd::refused(reason)),
                ClientIdKind::Document(url) => match documents.resolve(&url, super::now()).await {
                    Ok(client) => {
                        self.save_document_client(&client).await?;
                        return Ok(client);
                    }
                    Err(e) => Some(e),
                },
            };
            if let Some(e) = refusal {
                if let Error::OAuth { description, .. } = &e {
                    self.audit(AuditEvent::ClientMetadataRefused, None, Some(client_id), description).await;
                }
                return Err(e);
            }
        }
        sqlx::query_as("SELECT * FROM clients WHERE client_id = ?")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Inserts or refreshes the row of a metadata-document client.
    async fn save_document_client(&self, c: &Client) -> Result<(), Error> {
        bind_metadata(
            sqlx::query(
                "INSERT INTO clients (client_id, client_name, client_uri, redirect_uris, grant_types, response_types, \
                 token_endpoint_auth_method, scope, created_at, application_type, client_secret_hash, configured) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0) \
                 ON CONFLICT(client_id) DO UPDATE SET client_name = excluded.client_name, \
                 client_uri = excluded.client_uri, redirect_uris = excluded.redirect_uris, \
                 grant_types = excluded.grant_types, response_types = excluded.response_types, \
                 token_endpoint_auth_method = excluded.token_endpoint_auth_method, scope = excluded.scope, \
                 created_at = excluded.created_at, application_type = excluded.application_type \
                 WHERE clients.configured = 0",
            ),
            c,
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Makes the configured clients exactly `clients`, in one transaction: each is inserted or
    /// updated in place (its grants and tokens survive a restart), and configured clients no
    /// longer in the file are deleted with everything issued to them. Refuses (`Conflict`) to
    /// take over an id that a non-configured client already holds. Returns how many were removed.
    pub async fn sync_configured_clients(&self, clients: &[Client]) -> Result<u64, Error> {
        let mut tx = self.pool.begin().await?;
        for c in clients {
            let taken: Option<bool> = sqlx::query_scalar("SELECT configured FROM clients WHERE client_id = ?")
                .bind(&c.client_id)
                .fetch_optional(&mut *tx)
                .await?;
            if taken == Some(false) {
                return Err(Error::Conflict);
            }
            bind_metadata(
                sqlx::query(
                    "INSERT INTO clients (client_id, client_name, client_uri, redirect_uris, grant_types, response_types, \
                     token_endpoint_auth_method, scope, created_at, application_type, client_secret_hash, configured) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) \
                     ON CONFLICT (client_id) DO UPDATE SET client_name = excluded.client_name, \
                     client_uri = excluded.client_uri, redirect_uris = excluded.redirect_uris, \
                     grant_types = excluded.grant_types, response_types = excluded.response_types, \
                     token_endpoint_auth_method = excluded.token_endpoint_auth_method, scope = excluded.scope, \
                     application_type = excluded.application_type, client_secret_hash = excluded.client_secret_hash",
                ),
                c,
            )
            .bind(&c.client_secret_hash)
            .execute(&mut *tx)
            .await?;
        }
        let keep: Vec<&str> = clients.iter().map(|c| c.client_id.as_str()).collect();
        let removed = sqlx::query(
            "DELETE FROM clients WHERE configured = 1 AND client_id NOT IN (SELECT value FROM json_each(?))",
        )
        .bind(Json(keep))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(removed)
    }
}

type ClientQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds the ten metadata columns, in table order, that every client write starts with.
fn bind_metadata<'q>(query: ClientQuery<'q>, c: &'q Client) -> ClientQuery<'q> {
    query
        .bind(&c.client_id)
        .bind(&c.client_name)
        .bind(&c.client_uri)
        .bind(&c.redirect_uris)
        .bind(&c.grant_types)
        .bind(&c.response_types)
        .bind(&c.token_endpoint_auth_method)
        .bind(&c.scope)
        .bind(c.created_at)
        .bind(&c.application_type)
}
