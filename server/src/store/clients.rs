//! Registered OAuth clients (RFC 7591, and pre-registered ones from the clients file). Redirect
//! URIs are stored as the exact registered strings; client secrets only as SHA-256 hashes.

use sqlx::types::Json;
use sqlx::FromRow;

use super::Store;
use crate::error::Error;

#[derive(Clone, Debug, Default, FromRow)]
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
    /// Exact string comparison (OAuth 2.1 §4.1.1), with any port allowed on loopback http URIs
    /// (RFC 8252 §7.3).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.0.iter().any(|r| shared::urls::redirect_uri_matches(r, uri))
    }
}

impl Store {
    /// Inserts a new client; `Conflict` when the id is taken (registration never overwrites).
    pub async fn insert_client(&self, c: &Client) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO clients (client_id, client_name, client_uri, redirect_uris, grant_types, response_types, \
             token_endpoint_auth_method, scope, created_at, application_type, client_secret_hash, configured) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
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
        .bind(&c.client_secret_hash)
        .bind(c.configured)
        .execute(&self.pool)
        .await
        .map_err(super::conflict_or)?;
        Ok(())
    }

    pub async fn find_client(&self, client_id: &str) -> Result<Option<Client>, Error> {
        Ok(sqlx::query_as("SELECT * FROM clients WHERE client_id = ?")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?)
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
            sqlx::query(
                "INSERT INTO clients (client_id, client_name, client_uri, redirect_uris, grant_types, response_types, \
                 token_endpoint_auth_method, scope, created_at, application_type, client_secret_hash, configured) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) \
                 ON CONFLICT (client_id) DO UPDATE SET client_name = excluded.client_name, \
                 client_uri = excluded.client_uri, redirect_uris = excluded.redirect_uris, \
                 grant_types = excluded.grant_types, response_types = excluded.response_types, \
                 token_endpoint_auth_method = excluded.token_endpoint_auth_method, scope = excluded.scope, \
                 application_type = excluded.application_type, client_secret_hash = excluded.client_secret_hash",
            )
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
