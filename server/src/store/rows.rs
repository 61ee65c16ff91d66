//! Row → struct mapping for the record types, written out instead of `#[derive(FromRow)]`:
//! the derive pulls in sqlx's proc-macro crate and, with it, a second build of SQLite.

use sqlx::sqlite::SqliteRow;
use sqlx::Row as _;

use super::keys::SigningKeyRow;
use super::{AccessToken, AuditRow, AuthCode, AuthRequest, Client, Grant, RefreshToken, User};

/// Implements `FromRow` by reading each listed field from the column of the same name.
macro_rules! from_row_by_column_name {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        impl<'r> sqlx::FromRow<'r, SqliteRow> for $ty {
            fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
                Ok(Self { $($field: row.try_get(stringify!($field))?),+ })
            }
        }
    };
}

from_row_by_column_name!(Client {
    client_id,
    client_name,
    client_uri,
    redirect_uris,
    grant_types,
    response_types,
    token_endpoint_auth_method,
    scope,
    created_at,
    application_type,
    client_secret_hash,
    configured,
});
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
