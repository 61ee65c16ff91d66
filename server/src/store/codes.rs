//! Authorization codes, stored by hash, bound to client, user, redirect URI, PKCE challenge,
//! scope and resource. Single use: see [`CodeStore::claim_code`].

use super::refresh::insert_refresh;
use super::sql::serializable;
use super::tokens::insert_access;
use super::{AccessToken, RefreshToken, SqlStore};
use async_trait::async_trait;

use crate::error::Error;

#[derive(Clone, Debug)]
pub struct AuthCode {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: String,
    pub resource: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// Outcome of presenting a code at the token endpoint.
#[derive(Debug)]
pub enum CodeClaim {
    /// First use: the code is now marked used and the caller may mint tokens.
    Claimed(AuthCode),
    /// The code was already used, by the client presenting it now: a replay. Tokens minted from it
    /// must be revoked.
    Replayed(AuthCode),
    /// No such code, or one issued to another client: nothing was changed, so a client holding a
    /// leaked code can neither spend it nor trigger the replay revocation.
    Unknown,
}

/// Authorization codes.
#[async_trait]
pub trait CodeStore: Send + Sync {
    async fn insert_code(&self, c: &AuthCode) -> Result<(), Error>;

    /// Atomically marks the code used, if it was issued to `client_id`. Exactly one caller ever
    /// gets `Claimed` for a code, and only its own client can claim or replay it.
    async fn claim_code(&self, code_hash: &str, client_id: &str, now: i64) -> Result<CodeClaim, Error>;

    /// The code, used or not, if it was issued to `client_id`; changes nothing.
    async fn find_code(&self, code_hash: &str, client_id: &str) -> Result<Option<AuthCode>, Error>;

    /// Marks the code used and stores what its exchange issues, in one transaction, so a crash
    /// never leaves a used code without its tokens or an access token without its refresh token.
    /// False (nothing written) when the code was already used: the caller treats it as a replay.
    async fn redeem_code(
        &self,
        code_hash: &str,
        client_id: &str,
        now: i64,
        access: &AccessToken,
        refresh: Option<&RefreshToken>,
    ) -> Result<bool, Error>;
}

#[async_trait]
impl CodeStore for SqlStore {
    async fn insert_code(&self, c: &AuthCode) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO auth_codes (code_hash, client_id, user_id, redirect_uri, scope, code_challenge, resource, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&c.code_hash)
        .bind(&c.client_id)
        .bind(&c.user_id)
        .bind(&c.redirect_uri)
        .bind(&c.scope)
        .bind(&c.code_challenge)
        .bind(&c.resource)
        .bind(c.created_at)
        .bind(c.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn claim_code(&self, code_hash: &str, client_id: &str, now: i64) -> Result<CodeClaim, Error> {
        let claimed: Option<AuthCode> = sqlx::query_as(
            "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND client_id = $3 AND used_at IS NULL RETURNING *",
        )
        .bind(now)
        .bind(code_hash)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(code) = claimed {
            return Ok(CodeClaim::Claimed(code));
        }
        let existing: Option<AuthCode> =
            sqlx::query_as("SELECT * FROM auth_codes WHERE code_hash = $1 AND client_id = $2 AND used_at IS NOT NULL")
                .bind(code_hash)
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(existing.map_or(CodeClaim::Unknown, CodeClaim::Replayed))
    }

    async fn find_code(&self, code_hash: &str, client_id: &str) -> Result<Option<AuthCode>, Error> {
        Ok(sqlx::query_as("SELECT * FROM auth_codes WHERE code_hash = $1 AND client_id = $2")
            .bind(code_hash)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn redeem_code(
        &self,
        code_hash: &str,
        client_id: &str,
        now: i64,
        access: &AccessToken,
        refresh: Option<&RefreshToken>,
    ) -> Result<bool, Error> {
        serializable!(self, {
            let mut tx = self.begin_write().await?;
            let claimed = sqlx::query(
                "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND client_id = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(code_hash)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            insert_access(&mut *tx, access).await?;
            if let Some(refresh) = refresh {
                insert_refresh(&mut *tx, refresh, Some(&access.token_hash)).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }
}
