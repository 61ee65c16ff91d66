//! Request-body readers that answer every problem (too large, wrong type, malformed) with an
//! RFC 6749 §5.2 error instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::oauth::params::Params;

fn bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Error> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::too_large()
        } else {
            Error::invalid_request("could not read the request body")
        }
    })
}

fn content_type_is(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

/// An `application/x-www-form-urlencoded` body with no repeated parameters.
pub fn form(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Params, Error> {
    let body = bytes(body)?;
    if !content_type_is(headers, "application/x-www-form-urlencoded") {
        return Err(Error::invalid_request("Content-Type must be application/x-www-form-urlencoded"));
    }
    Params::parse(&body).map_err(|name| Error::invalid_request(format!("parameter {name:?} was sent more than once")))
}

/// A JSON body of type `T`.
pub fn json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    bad: impl Fn(String) -> Error,
) -> Result<T, Error> {
    let body = bytes(body)?;
    if !content_type_is(headers, "application/json") {
        return Err(bad("Content-Type must be application/json".into()));
    }
    serde_json::from_slice(&body).map_err(|e| bad(format!("malformed JSON: {e}")))
}
