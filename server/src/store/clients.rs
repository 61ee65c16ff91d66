//! Registered OAuth clients (RFC 7591, and pre-registered ones from the clients file). Redirect
//! URIs are stored as the exact registered strings; client secrets only as SHA-256 hashes.

use async_trait::async_trait;

use super::sql::serializable;
use super::SqlStore;
use crate::error::Error;

#[derive(Clone, Debug, Default)]
pub struct Client {
    pub client_id: String,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
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
        let registered = || self.redirect_uris.iter().map(String::as_str);
        let ports = shared::urls::LoopbackPorts::for_client(&self.application_type, registered());
        registered().any(|r| shared::urls::redirect_uri_matches(r, uri, ports))
    }
}

/// Registered, configured and metadata-document clients.
#[async_trait]
pub trait ClientStore: Send + Sync {
    /// Inserts a new client; `Conflict` when the id is taken (registration never overwrites).
    async fn insert_client(&self, c: &Client) -> Result<(), Error>;

    /// The client stored as `client_id`, or `None`. Metadata-document ids are resolved by the
    /// protocol layer's one lookup path (`oauth::clients::ClientDirectory`), which ends here.
    async fn find_client(&self, client_id: &str) -> Result<Option<Client>, Error>;

    /// Inserts or refreshes the row of a metadata-document client (never a configured one), so
    /// the requests, codes, tokens and grants that reference it stay valid.
    async fn save_document_client(&self, c: &Client) -> Result<(), Error>;

    /// Makes the configured clients exactly `clients`, in one transaction: each is inserted or
    /// updated in place (its grants and tokens survive a restart), and configured clients no
    /// longer in the file are deleted with everything issued to them. Refuses (`Conflict`) to
    /// take over an id that a non-configured client already holds. Returns how many were removed.
    async fn sync_configured_clients(&self, clients: &[Client]) -> Result<u64, Error>;
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_client(&self, c: &Client) -> Result<(), Error> {
        bind_metadata(
            sqlx::query(
                "INSERT INTO clients (client_id, client_name, client_uri, redirect_uris, grant_types, response_types, \
                 token_endpoint_auth_method, scope, created_at, application_type, client_secret_hash, configured) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            ),
            c,
        )
        .bind(&c.client_secret_hash)
        .bind(i64::from(c.configured))
        .execute(&self.pool)
        .await
        .map_err(super::conflict_or)?;
        Ok(())
    }

    async fn find_client(&self, client_id: &str) -> Result<Option<Client>, Error> {
        Ok(sqlx::query_as("SELECT * FROM clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn save_document_client(&self, c: &Client) -> Result<(), Error> {
        bind_metadata(
            sqlx::query(
                "INSERT INTO clients (client_id, client_name, client_uri, redirect_uris, grant_types, response_types, \
                 token_endpoint_auth_method, scope, created_at, application_type, client_secret_hash, configured) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, 0) \
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

    async fn sync_configured_clients(&self, clients: &[Client]) -> Result<u64, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            for c in clients {
                let taken: Option<i64> = sqlx::query_scalar("SELECT configured FROM clients WHERE client_id = $1")
                    .bind(&c.client_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken == Some(0) {
                    return Err(Error::Conflict);
                }
                bind_metadata(
                    sqlx::query(
                        "INSERT INTO clients (client_id, client_name, client_uri, redirect_uris, grant_types, response_types, \
                         token_endpoint_auth_method, scope, created_at, application_type, client_secret_hash, configured) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1) \
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
            let configured: Vec<String> =
                sqlx::query_scalar("SELECT client_id FROM clients WHERE configured = 1").fetch_all(&mut *tx).await?;
            let mut removed = 0;
            for gone in configured.iter().filter(|id| !clients.iter().any(|c| &c.client_id == *id)) {
                removed += sqlx::query("DELETE FROM clients WHERE client_id = $1")
                    .bind(gone)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok(removed)
        })
    }
}

type ClientQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds the ten metadata columns, in table order, that every client write starts with.
fn bind_metadata<'q>(query: ClientQuery<'q>, c: &'q Client) -> ClientQuery<'q> {
    query
        .bind(&c.client_id)
        .bind(&c.client_name)
        .bind(&c.client_uri)
        .bind(json_list(&c.redirect_uris))
        .bind(json_list(&c.grant_types))
        .bind(json_list(&c.response_types))
        .bind(&c.token_endpoint_auth_method)
        .bind(&c.scope)
        .bind(c.created_at)
        .bind(&c.application_type)
}

/// A list column's JSON text.
fn json_list(list: &[String]) -> String {
    serde_json::Value::from(list).to_string()
}
