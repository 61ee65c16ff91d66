//! Registered OAuth clients (RFC 7591). Redirect URIs are stored as the exact registered strings.

use sqlx::types::Json;
use sqlx::FromRow;

use super::Store;
use crate::error::Error;

#[derive(Clone, Debug, FromRow)]
pub struct Client {
    pub client_id: String,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub redirect_uris: Json<Vec<String>>,
    pub grant_types: Json<Vec<String>>,
    pub response_types: Json<Vec<String>>,
    pub token_endpoint_auth_method: String,
    pub scope: Option<String>,
    pub created_at: i64,
}

impl Client {
    /// Exact string comparison (OAuth 2.1 §4.1.1), with any port allowed on loopback http URIs
    /// (RFC 8252 §7.3).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.0.iter().any(|r| shared::urls::redirect_uri_matches(r, uri))
    }
}

impl Store {
    pub async fn insert_client(&self, c: &Client) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO clients (client_id, client_name, client_uri, redirect_uris, grant_types, response_types, \
             token_endpoint_auth_method, scope, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn find_client(&self, client_id: &str) -> Result<Option<Client>, Error> {
        Ok(sqlx::query_as("SELECT * FROM clients WHERE client_id = ?")
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?)
    }
}
