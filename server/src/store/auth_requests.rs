//! Validated `/authorize` requests waiting for login and consent. Each is bound to the browser
//! that started it by a CSRF token (hash stored here, plaintext in a cookie and the form).

use super::SqlStore;
use async_trait::async_trait;

use crate::error::Error;

#[derive(Clone, Debug)]
pub struct AuthRequest {
    pub id: String,
    pub csrf_hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub resource: String,
    pub user_id: Option<String>,
    pub failed_logins: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Pending `/authorize` requests.
#[async_trait]
pub trait AuthRequestStore: Send + Sync {
    async fn insert_auth_request(&self, r: &AuthRequest) -> Result<(), Error>;

    /// A pending request that has not expired.
    async fn find_auth_request(&self, id: &str, now: i64) -> Result<Option<AuthRequest>, Error>;

    /// Records the authenticated user; only once per request.
    async fn set_auth_request_user(&self, id: &str, user_id: &str) -> Result<(), Error>;

    /// Counts a failed password attempt and returns the new count.
    async fn bump_failed_logins(&self, id: &str) -> Result<i64, Error>;

    /// Deletes and returns the request: the consent decision can be made once only.
    async fn take_auth_request(&self, id: &str, now: i64) -> Result<Option<AuthRequest>, Error>;

    async fn delete_auth_request(&self, id: &str) -> Result<(), Error>;
}

#[async_trait]
impl AuthRequestStore for SqlStore {
    async fn insert_auth_request(&self, r: &AuthRequest) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO auth_requests (id, csrf_hash, client_id, redirect_uri, scope, state, code_challenge, resource, \
             user_id, failed_logins, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&r.id)
        .bind(&r.csrf_hash)
        .bind(&r.client_id)
        .bind(&r.redirect_uri)
        .bind(&r.scope)
        .bind(&r.state)
        .bind(&r.code_challenge)
        .bind(&r.resource)
        .bind(&r.user_id)
        .bind(r.failed_logins)
        .bind(r.created_at)
        .bind(r.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn find_auth_request(&self, id: &str, now: i64) -> Result<Option<AuthRequest>, Error> {
        Ok(sqlx::query_as("SELECT * FROM auth_requests WHERE id = $1 AND expires_at >= $2")
            .bind(id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn set_auth_request_user(&self, id: &str, user_id: &str) -> Result<(), Error> {
        let done = sqlx::query("UPDATE auth_requests SET user_id = $1 WHERE id = $2 AND user_id IS NULL")
            .bind(user_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    async fn bump_failed_logins(&self, id: &str) -> Result<i64, Error> {
        let n: Option<i64> = sqlx::query_scalar(
            "UPDATE auth_requests SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        n.ok_or(Error::NotFound)
    }

    async fn take_auth_request(&self, id: &str, now: i64) -> Result<Option<AuthRequest>, Error> {
        Ok(sqlx::query_as("DELETE FROM auth_requests WHERE id = $1 AND expires_at >= $2 RETURNING *")
            .bind(id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn delete_auth_request(&self, id: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM auth_requests WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }
}
