//! The crate's one error type. `IntoResponse` turns it into an RFC 6749 §5.2 JSON body; the
//! internal detail of storage or server failures goes to the log only, never to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::oauth::{ErrorCode, OAuthErrorBody};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A protocol error the client caused: shown to it with an RFC error code.
    #[error("{code:?}: {description}")]
    OAuth { status: StatusCode, code: ErrorCode, description: String },
    /// The client failed to authenticate (RFC 6749 §5.2 `invalid_client` → 401 + challenge).
    #[error("client authentication failed")]
    ClientAuth,
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Conflict,
    #[error("database: {0}")]
    Store(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    pub fn bad_request(code: ErrorCode, description: impl Into<String>) -> Self {
        Self::OAuth { status: StatusCode::BAD_REQUEST, code, description: description.into() }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::bad_request(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::bad_request(ErrorCode::InvalidGrant, description)
    }

    pub fn too_large() -> Self {
        Self::OAuth {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: ErrorCode::InvalidRequest,
            description: "request body is too large".into(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::OAuth { status, code, description } => (status, OAuthErrorBody::new(code, description)),
            Self::ClientAuth => {
                let body = OAuthErrorBody::new(ErrorCode::InvalidClient, "client authentication failed");
                let mut resp = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"oauth\""));
                return no_store(resp);
            }
            Self::NotFound => (StatusCode::NOT_FOUND, OAuthErrorBody::new(ErrorCode::InvalidRequest, "not found")),
            other => {
                tracing::error!(error = %other, "request failed");
                let mut resp = (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(OAuthErrorBody::new(ErrorCode::ServerError, "the server could not complete the request")),
                )
                    .into_response();
                if matches!(other, Self::Store(_)) {
                    resp.extensions_mut().insert(crate::metrics::StoreFailure);
                }
                return no_store(resp);
            }
        };
        no_store((status, Json(body)).into_response())
    }
}

/// RFC 6749 §5.1: token and error responses must not be cached.
pub fn no_store(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
