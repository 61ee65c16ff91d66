//! Client ID Metadata Documents on outside input: the `client_id` URL, the fetched document and
//! its cache headers. Arbitrary input never panics; a document either becomes a public client that
//! keeps every rule, or is refused with a 400 `invalid_client` and a reason.

use std::time::{Duration, SystemTime};

use http::{header, HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::{json, Value};
use shared::oauth::ErrorCode;
use url::Url;

use super::cache::{lifetime, MAX_TTL, MIN_TTL};
use super::client_id::{classify, ClientIdKind};
use super::validate::client_from_document;
use crate::error::Error;
use crate::oauth::arbitrary::{config, json as json_value, mutated};

const URL: &str = "https://app.example.com/client.json";
const KEYS: &[&str] = &[
    "client_id",
    "client_name",
    "client_uri",
    "redirect_uris",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "client_secret",
    "client_secret_expires_at",
    "scope",
];

fn base() -> Value {
    json!({"client_id": URL, "client_name": "App", "redirect_uris": ["https://app.example.com/cb"]})
}

/// Document bodies: near-valid documents, any JSON value, or any bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => mutated(base(), KEYS).prop_map(|v| v.to_string().into_bytes()),
        1 => json_value(KEYS).prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

fn url_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r"[hH][tT][tT][pP][sS]?://[a-zA-Z0-9.@:%\[\]-]{0,20}(/[a-zA-Z0-9.%#?]{0,8}){0,3}",
        "[ -~]{0,40}",
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn documents_become_valid_clients_or_clear_refusals(body in body()) {
        let url = Url::parse(URL).expect("url");
        match client_from_document(&url, &body, 7) {
            Ok(c) => {
                prop_assert_eq!(&c.client_id, URL);
                prop_assert_eq!(c.token_endpoint_auth_method.as_str(), "none");
                prop_assert!(c.client_secret_hash.is_none());
                prop_assert!(!c.redirect_uris.is_empty() && c.redirect_uris.len() <= 20);
                for uri in &c.redirect_uris {
                    prop_assert!(shared::urls::validate_redirect_uri(uri).is_ok(), "{}", uri);
                }
                let name = c.client_name.clone().unwrap_or_default();
                prop_assert!(!name.is_empty() && name.chars().count() <= 200 && !name.chars().any(char::is_control));
                prop_assert!(c.grant_types.iter().any(|g| g == "authorization_code"));
                prop_assert!(c.grant_types.iter().all(|g| g == "authorization_code" || g == "refresh_token"));
                let doc: Value = serde_json::from_slice(&body).expect("accepted documents are JSON");
                // `null` is as good as absent.
                prop_assert!(doc.get("client_secret").is_none_or(Value::is_null));
            }
            Err(Error::OAuth { status, code, description }) => {
                prop_assert_eq!(status, StatusCode::BAD_REQUEST);
                prop_assert_eq!(code, ErrorCode::InvalidClient);
                prop_assert!(!description.is_empty());
            }
            Err(other) => prop_assert!(false, "not an OAuth refusal: {:?}", other),
        }
    }

    #[test]
    fn client_id_urls_are_classified_without_panicking(id in url_like(), allow_http in any::<bool>()) {
        let looks_like_url = {
            let lower = id.to_ascii_lowercase();
            lower.starts_with("https://") || lower.starts_with("http://")
        };
        match classify(&id, allow_http) {
            ClientIdKind::Registered => prop_assert!(!looks_like_url, "{}", id),
            ClientIdKind::BadDocumentUrl(why) => prop_assert!(looks_like_url && !why.is_empty(), "{}", id),
            ClientIdKind::Document(url) => {
                // Only a canonical URL, the exact string the document must name, is used.
                prop_assert_eq!(url.as_str(), id.as_str());
                prop_assert!(url.scheme() == "https" || (allow_http && url.scheme() == "http"));
                prop_assert!(url.fragment().is_none() && url.username().is_empty() && url.password().is_none());
                prop_assert!(url.host().is_some() && url.path() != "/");
            }
        }
    }

    #[test]
    fn cache_lifetimes_stay_within_bounds(
        cache_control in prop::collection::vec(
            prop_oneof!["[ -~]{0,30}", r#"(max-age=("?[0-9]{0,22}"?|-1)|no-store|no-cache|public|, ?)( ?, ?)?"#],
            0..3,
        ),
        expires in prop::option::of(prop_oneof![
            "[ -~]{0,30}",
            Just(httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_300))),
        ]),
    ) {
        let mut headers = HeaderMap::new();
        for v in &cache_control {
            headers.append(header::CACHE_CONTROL, HeaderValue::from_str(v).expect("visible ASCII"));
        }
        if let Some(v) = &expires {
            headers.insert(header::EXPIRES, HeaderValue::from_str(v).expect("visible ASCII"));
        }
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        if let Some(ttl) = lifetime(&headers, now) {
            prop_assert!((MIN_TTL..=MAX_TTL).contains(&ttl), "{:?}", ttl);
        }
    }
}
