//! Row → struct mapping for the record types, written out instead of `#[derive(FromRow)]`:
//! the derive pulls in sqlx's proc-macro crate and, with it, a second build of SQLite. Rows come
//! through sqlx's `Any` driver, so every column is read as `i64`, `String` or an `Option` of one.

use sqlx::any::AnyRow;
use sqlx::Row as _;

use super::keys::SigningKeyRow;
use super::{AccessToken, AuditRow, AuthCode, AuthRequest, Client, Grant, RefreshToken, User};

/// Implements `FromRow` by reading each listed field from the column of the same name.
macro_rules! from_row_by_column_name {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        impl<'r> sqlx::FromRow<'r, AnyRow> for $ty {
            fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
                Ok(Self { $($field: row.try_get(stringify!($field))?),+ })
            }
        }
    };
}

impl<'r> sqlx::FromRow<'r, AnyRow> for Client {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        // The URI and type lists are JSON arrays in TEXT columns; flags are 0/1 integers.
        let list = |column: &str| -> Result<Vec<String>, sqlx::Error> {
            let text: String = row.try_get(column)?;
            serde_json::from_str(&text)
                .map_err(|e| sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(e) })
        };
        Ok(Self {
            client_id: row.try_get("client_id")?,
            client_name: row.try_get("client_name")?,
            client_uri: row.try_get("client_uri")?,
            redirect_uris: list("redirect_uris")?,
            grant_types: list("grant_types")?,
            response_types: list("response_types")?,
            token_endpoint_auth_method: row.try_get("token_endpoint_auth_method")?,
            scope: row.try_get("scope")?,
            created_at: row.try_get("created_at")?,
            application_type: row.try_get("application_type")?,
            client_secret_hash: row.try_get("client_secret_hash")?,
            configured: row.try_get::<i64, _>("configured")? != 0,
        })
    }
}
from_row_by_column_name!(Grant { client_id, client_name, scope, updated_at });
from_row_by_column_name!(RefreshToken {
    token_hash,
    family_id,
    client_id,
    user_id,
    scope,
    resource,
    issued_at,
    expires_at,
    used_at,
    revoked_at,
    replaced_by,
});
from_row_by_column_name!(AuthCode {
    code_hash,
    client_id,
    user_id,
    redirect_uri,
    scope,
    code_challenge,
    resource,
    created_at,
    expires_at,
    used_at,
});
from_row_by_column_name!(User {
    id,
    username,
    password_hash,
    display_name,
    email,
    role,
    status,
    created_at,
    last_login_at,
    login_count,
});
from_row_by_column_name!(AuditRow { id, at, event, user_id, client_id, detail, count, last_at });
from_row_by_column_name!(SigningKeyRow { kid, seed_b64, created_at, retired_at, revoked_at });
from_row_by_column_name!(AccessToken {
    token_hash,
    client_id,
    user_id,
    scope,
    audience,
    code_hash,
    issued_at,
    expires_at,
    revoked_at,
    family_id,
    jti,
});
from_row_by_column_name!(AuthRequest {
    id,
    csrf_hash,
    client_id,
    redirect_uri,
    scope,
    state,
    code_challenge,
    resource,
    user_id,
    failed_logins,
    created_at,
    expires_at,
});
