//! User accounts. Passwords arrive as argon2id PHC strings, never in plaintext.

use super::{conflict_or, SqlStore};
use async_trait::async_trait;

use crate::error::Error;

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub status: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    pub login_count: i64,
}

#[derive(Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: String,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
}

/// User accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; `Conflict` when the username is taken.
    async fn create_user(&self, new: NewUser<'_>, now: i64) -> Result<User, Error>;

    /// Replaces the password (and the name/email when given) of an existing user.
    async fn update_user(&self, new: NewUser<'_>) -> Result<(), Error>;

    /// Sets a user's status (`active`, `disabled`); false when there is no such user.
    async fn set_user_status(&self, username: &str, status: &str) -> Result<bool, Error>;

    async fn find_user(&self, id: &str) -> Result<Option<User>, Error>;

    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, Error>;

    /// Sets a user's display name (the caller validated it); `NotFound` when the user is gone.
    async fn set_display_name(&self, id: &str, display_name: &str) -> Result<(), Error>;

    async fn record_login(&self, id: &str, now: i64) -> Result<(), Error>;
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, new: NewUser<'_>, now: i64) -> Result<User, Error> {
        let id = format!("u_{}", &crate::oauth::secrets::random_token()[..16]);
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, display_name, email, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(new.username)
        .bind(&new.password_hash)
        .bind(new.display_name)
        .bind(new.email)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(conflict_or)?;
        self.find_user(&id).await?.ok_or(Error::NotFound)
    }

    async fn update_user(&self, new: NewUser<'_>) -> Result<(), Error> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, display_name = $2, email = COALESCE($3, email) WHERE username = $4",
        )
        .bind(&new.password_hash)
        .bind(new.display_name)
        .bind(new.email)
        .bind(new.username)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    async fn set_user_status(&self, username: &str, status: &str) -> Result<bool, Error> {
        let done = sqlx::query("UPDATE users SET status = $1 WHERE username = $2")
            .bind(status)
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn find_user(&self, id: &str) -> Result<Option<User>, Error> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, Error> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE username = $1").bind(username).fetch_optional(&self.pool).await?)
    }

    async fn set_display_name(&self, id: &str, display_name: &str) -> Result<(), Error> {
        let done = sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(display_name)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    async fn record_login(&self, id: &str, now: i64) -> Result<(), Error> {
        sqlx::query("UPDATE users SET last_login_at = $1, login_count = login_count + 1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
