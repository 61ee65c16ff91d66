//! What a fetched metadata document must say before its client may use this server: it names its
//! own URL as `client_id`, lists valid redirect URIs, and is a public client (no secret, token
//! endpoint authentication `none`). Unknown members are ignored, as RFC 7591 §2 allows.

use serde::Deserialize;
use serde_json::Value;
use shared::oauth::{AUTH_METHOD_NONE, GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, RESPONSE_TYPE_CODE};
use url::Url;

use super::refused;
use crate::error::Error;
use crate::store::Client;

const MAX_REDIRECT_URIS: usize = 20;
const MAX_URI_LEN: usize = 2000;
const MAX_NAME_CHARS: usize = 200;

#[derive(Deserialize)]
struct Document {
    client_id: Option<Value>,
    client_name: Option<Value>,
    client_uri: Option<Value>,
    redirect_uris: Option<Value>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    client_secret: Option<Value>,
    client_secret_expires_at: Option<Value>,
}

/// Turns the document fetched from `url` into the client it describes.
pub fn client_from_document(url: &Url, body: &[u8], now: i64) -> Result<Client, Error> {
    let doc: Document = serde_json::from_slice(body)
        .map_err(|_| refused("the client metadata document is not a JSON object of client metadata"))?;
    if doc.client_id.as_ref().and_then(Value::as_str) != Some(url.as_str()) {
        return Err(refused("the client_id in the client metadata document does not equal its URL"));
    }
    if doc.client_secret.is_some() || doc.client_secret_expires_at.is_some() {
        return Err(refused("a client metadata document must not contain a client_secret"));
    }
    let method = doc.token_endpoint_auth_method.as_deref().unwrap_or(AUTH_METHOD_NONE);
    if method != AUTH_METHOD_NONE {
        return Err(refused(&format!(
            "token_endpoint_auth_method {method:?} is not supported for metadata-document clients; use \"none\""
        )));
    }
    let redirect_uris = redirect_uris(doc.redirect_uris.as_ref())?;
    // Loopback or custom-scheme redirects mean an app on the user's device (OIDC DCR §2).
    let application_type = if redirect_uris.iter().all(|u| u.starts_with("https://")) { "web" } else { "native" };
    let client_name = match doc.client_name.as_ref().and_then(Value::as_str).map(str::trim) {
        Some(n) if !n.is_empty() && n.chars().count() <= MAX_NAME_CHARS && !n.chars().any(char::is_control) => {
            n.to_owned()
        }
        _ => return Err(refused(&format!("client_name is required: at most {MAX_NAME_CHARS} printable characters"))),
    };
    let grant_types = doc.grant_types.unwrap_or_else(|| vec![GRANT_AUTHORIZATION_CODE.into()]);
    if !grant_types.iter().any(|g| g == GRANT_AUTHORIZATION_CODE) {
        return Err(refused("grant_types must include authorization_code"));
    }
    // A document describes the client for every server; keep the grants implemented here.
    let grant_types = [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN]
        .into_iter()
        .filter(|supported| grant_types.iter().any(|g| g == supported))
        .map(str::to_owned)
        .collect();
    if doc.response_types.is_some_and(|r| !r.iter().any(|t| t == RESPONSE_TYPE_CODE)) {
        return Err(refused("response_types must include code"));
    }
    let client_uri = doc
        .client_uri
        .as_ref()
        .and_then(Value::as_str)
        .filter(|u| u.len() <= MAX_URI_LEN && Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "https" | "http")))
        .map(str::to_owned);
    Ok(Client {
        client_id: url.as_str().to_owned(),
        client_name: Some(client_name),
        client_uri,
        redirect_uris,
        grant_types,
        response_types: vec![RESPONSE_TYPE_CODE.into()],
        token_endpoint_auth_method: AUTH_METHOD_NONE.into(),
        // The document's `scope` is ignored: the user decides on the consent page.
        scope: None,
        created_at: now,
        application_type: application_type.into(),
        ..Client::default()
    })
}

fn redirect_uris(value: Option<&Value>) -> Result<Vec<String>, Error> {
    let Some(list) = value.and_then(Value::as_array).filter(|l| !l.is_empty()) else {
        return Err(refused("the client metadata document must list at least one redirect_uri"));
    };
    if list.len() > MAX_REDIRECT_URIS {
        return Err(refused(&format!(
            "the client metadata document lists more than {MAX_REDIRECT_URIS} redirect_uris"
        )));
    }
    let mut uris = Vec::with_capacity(list.len());
    for item in list {
        let Some(uri) = item.as_str().filter(|u| u.len() <= MAX_URI_LEN) else {
            return Err(refused("every redirect_uri must be a string of reasonable length"));
        };
        shared::urls::validate_redirect_uri(uri)
            .map_err(|e| refused(&format!("redirect_uri {uri:?} in the client metadata document {e}")))?;
        uris.push(uri.to_owned());
    }
    Ok(uris)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://app.example.com/client.json";

    fn check(doc: serde_json::Value) -> Result<Client, Error> {
        client_from_document(&Url::parse(URL).expect("url"), doc.to_string().as_bytes(), 0)
    }

    fn base() -> serde_json::Value {
        serde_json::json!({"client_id": URL, "client_name": "App", "redirect_uris": ["https://app.example.com/cb"]})
    }

    #[test]
    fn accepts_a_minimal_public_client() {
        let c = check(base()).expect("valid");
        assert_eq!(c.client_id, URL);
        assert_eq!(c.redirect_uris, vec!["https://app.example.com/cb".to_owned()]);
        assert_eq!(c.grant_types, vec![GRANT_AUTHORIZATION_CODE.to_owned()]);
    }

    #[test]
    fn refuses_broken_documents() {
        let with = |k: &str, v: serde_json::Value| {
            let mut d = base();
            d[k] = v;
            check(d).is_err()
        };
        assert!(with("client_id", "https://app.example.com/other.json".into()));
        assert!(with("client_id", "https://app.example.com/client.json/".into()));
        assert!(with("redirect_uris", serde_json::json!([])));
        assert!(with("redirect_uris", serde_json::json!("https://app.example.com/cb")));
        assert!(with("redirect_uris", serde_json::json!(["not a url"])));
        assert!(with("redirect_uris", serde_json::json!(["https://app.example.com/cb#x"])));
        assert!(with("token_endpoint_auth_method", "private_key_jwt".into()));
        assert!(with("token_endpoint_auth_method", "client_secret_basic".into()));
        assert!(with("client_secret", "s3cret".into()));
        assert!(with("client_name", "".into()));
        assert!(with("client_name", "x".repeat(201).into()));
        assert!(with("grant_types", serde_json::json!(["client_credentials"])));
        assert!(check(serde_json::json!([1, 2])).is_err());
        let mut no_uris = base();
        no_uris.as_object_mut().expect("object").remove("redirect_uris");
        assert!(check(no_uris).is_err());
    }
}
