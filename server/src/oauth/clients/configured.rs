//! Pre-registered clients from the `--clients-file`: a JSON array of RFC 7591 client metadata
//! objects, each with a fixed `client_id`. JSON because it is the shape RFC 7591 defines and a
//! dynamic registration sends, so one validator serves both and no new parser is needed.
//!
//! A confidential client's secret never sits in the file: `client_secret_env` names an
//! environment variable holding it, or `client_secret_sha256` gives its hash. Every entry is
//! checked before anything is stored; one bad entry refuses the whole file (the server does not
//! start) with a message per problem naming the client and the field.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use shared::oauth::ClientRegistrationRequest;

use super::metadata;
use crate::error::Error;
use crate::oauth::registration::DYNAMIC_CLIENT_ID_PREFIX;
use crate::oauth::secrets;
use crate::store::{Client, Store};

const MAX_CLIENT_ID_LEN: usize = 100;
/// Secrets are stored as a fast hash (like tokens), so they must carry enough entropy themselves.
pub const MIN_SECRET_LEN: usize = 32;

/// One entry of the file: RFC 7591 metadata plus `client_id` and where the secret comes from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    client_id: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    client_uri: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    scope: Option<String>,
    application_type: Option<String>,
    client_secret_env: Option<String>,
    client_secret_sha256: Option<String>,
}

/// Reads and validates the file, resolving `client_secret_env` with `env`.
pub fn load(
    path: &Path,
    env: impl Fn(&str) -> Option<String>,
    private_use_schemes: &[String],
    now: i64,
) -> Result<Vec<Client>, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("cannot read clients file {}: {e}", path.display())))?;
    parse_with(&text, env, private_use_schemes, now).map_err(|problems| {
        Error::Config(format!("clients file {} is invalid:\n  {}", path.display(), problems.join("\n  ")))
    })
}

/// Loads the file (secrets from the process environment) and makes its clients the configured
/// clients in the store. Without a file there are no configured clients: ones left from an
/// earlier configuration are removed, with every grant and token issued to them.
pub async fn apply(
    store: &dyn Store,
    path: Option<&Path>,
    private_use_schemes: &[String],
    now: i64,
) -> Result<(), Error> {
    let clients = match path {
        Some(path) => load(path, |name| std::env::var(name).ok(), private_use_schemes, now)?,
        None => Vec::new(),
    };
    let removed = store.sync_configured_clients(&clients).await.map_err(|e| match e {
        Error::Conflict => Error::Config("a configured client_id is already held by a registered client".into()),
        other => other,
    })?;
    if !clients.is_empty() || removed > 0 {
        tracing::info!(configured = clients.len(), removed, "configured clients loaded");
    }
    Ok(())
}

/// Validates the file's text with no private-use scheme allow-listed; `Err` lists every problem.
pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>, now: i64) -> Result<Vec<Client>, Vec<String>> {
    parse_with(text, env, &[], now)
}

/// Validates the file's text; `Err` lists every problem found, one line each.
pub fn parse_with(
    text: &str,
    env: impl Fn(&str) -> Option<String>,
    private_use_schemes: &[String],
    now: i64,
) -> Result<Vec<Client>, Vec<String>> {
    let entries: Vec<Value> = match serde_json::from_str(text) {
        Ok(Value::Array(entries)) => entries,
        Ok(_) => return Err(vec!["the file must hold a JSON array of clients".into()]),
        Err(e) => return Err(vec![format!("malformed JSON: {e}")]),
    };
    let mut problems = Vec::new();
    let mut clients: Vec<Client> = Vec::new();
    for (index, raw) in entries.into_iter().enumerate() {
        let label = match raw.get("client_id").and_then(Value::as_str) {
            Some(id) => format!("client {id:?} (entry {})", index + 1),
            None => format!("entry {}", index + 1),
        };
        match entry(raw, &env, private_use_schemes, now) {
            Ok(client) if clients.iter().any(|c| c.client_id == client.client_id) => {
                problems.push(format!("{label}: client_id: appears more than once"));
            }
            Ok(client) => clients.push(client),
            Err(errors) => problems.extend(errors.into_iter().map(|(field, why)| format!("{label}: {field}: {why}"))),
        }
    }
    if problems.is_empty() {
        Ok(clients)
    } else {
        Err(problems)
    }
}

type FieldErrors = Vec<(&'static str, String)>;

fn entry(
    raw: Value,
    env: &impl Fn(&str) -> Option<String>,
    private_use_schemes: &[String],
    now: i64,
) -> Result<Client, FieldErrors> {
    if raw.get("client_secret").is_some() {
        let why = "a plain secret must not be written in the file; name an environment variable in \
                   client_secret_env or give client_secret_sha256";
        return Err(vec![("client_secret", why.into())]);
    }
    let e: Entry = serde_json::from_value(raw).map_err(|e| vec![("entry", e.to_string())])?;
    let mut errors = FieldErrors::new();
    if let Err(why) = check_client_id(&e.client_id) {
        errors.push(("client_id", why));
    }
    let Some(method) = e.token_endpoint_auth_method.clone() else {
        errors.push((
            "token_endpoint_auth_method",
            "is required: none, client_secret_basic or client_secret_post".into(),
        ));
        return Err(errors);
    };
    let request = ClientRegistrationRequest {
        redirect_uris: e.redirect_uris,
        client_name: e.client_name,
        client_uri: e.client_uri,
        grant_types: e.grant_types,
        response_types: e.response_types,
        token_endpoint_auth_method: Some(method),
        scope: e.scope,
        application_type: e.application_type,
        ..ClientRegistrationRequest::default()
    };
    let valid = match metadata::validate(request, private_use_schemes) {
        Ok(valid) => valid,
        Err(m) => {
            errors.push((m.field, m.message));
            return Err(errors);
        }
    };
    let secret_hash = match (valid.auth_method.is_confidential(), e.client_secret_env, e.client_secret_sha256) {
        (false, None, None) => None,
        (false, env_var, _) => {
            let field = if env_var.is_some() { "client_secret_env" } else { "client_secret_sha256" };
            errors.push((field, "a public client (none) has no secret; remove it".into()));
            None
        }
        (true, Some(_), Some(_)) => {
            errors.push(("client_secret_env", "give client_secret_env or client_secret_sha256, not both".into()));
            None
        }
        (true, None, None) => {
            errors.push((
                "client_secret_env",
                "a confidential client needs client_secret_env or client_secret_sha256".into(),
            ));
            None
        }
        (true, Some(var), None) => match env(&var) {
            Some(s) if s.chars().count() >= MIN_SECRET_LEN => Some(secrets::hash(&s)),
            Some(_) => {
                let why = format!(
                    "the secret in ${var} is shorter than {MIN_SECRET_LEN} characters; make a random one with \
                     `openssl rand -base64 32`"
                );
                errors.push(("client_secret_env", why));
                None
            }
            None => {
                errors.push(("client_secret_env", format!("environment variable {var} is not set")));
                None
            }
        },
        (true, None, Some(hash)) => {
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                Some(hash.to_ascii_lowercase())
            } else {
                errors.push(("client_secret_sha256", "must be 64 hex digits (sha256sum of the secret)".into()));
                None
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(valid.into_client(e.client_id, secret_hash, true, now))
}

/// Unreserved URL characters only, so the id needs no escaping in forms, Basic credentials or
/// pages, can never look like a Client ID Metadata Document URL, and never starts like a
/// dynamically registered id.
fn check_client_id(id: &str) -> Result<(), String> {
    let ok_chars = id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if id.is_empty() || id.len() > MAX_CLIENT_ID_LEN || !ok_chars {
        return Err(format!("must be 1 to {MAX_CLIENT_ID_LEN} characters of A-Z a-z 0-9 - . _ ~"));
    }
    if id.starts_with(DYNAMIC_CLIENT_ID_PREFIX) {
        return Err(format!("must not start with {DYNAMIC_CLIENT_ID_PREFIX:?} (kept for dynamic registration)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &str = "an-environment-secret-0123456789abcdef";

    fn env(name: &str) -> Option<String> {
        match name {
            "BILLING_SECRET" => Some(LONG.into()),
            "SHORT_SECRET" => Some("short".into()),
            _ => None,
        }
    }

    fn one(entry: serde_json::Value) -> Result<Vec<Client>, Vec<String>> {
        parse(&serde_json::json!([entry]).to_string(), env, 7)
    }

    #[test]
    fn secret_from_the_environment_is_stored_hashed() {
        let clients = one(serde_json::json!({"client_id": "billing", "redirect_uris": ["https://b.example/cb"],
            "token_endpoint_auth_method": "client_secret_basic", "client_secret_env": "BILLING_SECRET",
            "application_type": "native"}))
        .expect("valid");
        let c = &clients[0];
        assert_eq!(c.client_secret_hash.as_deref(), Some(secrets::hash(LONG).as_str()));
        assert!(c.configured);
        assert_eq!((c.application_type.as_str(), c.created_at), ("native", 7));
        assert_eq!(c.token_endpoint_auth_method, "client_secret_basic");
    }

    #[test]
    fn short_or_missing_environment_secrets_are_refused() {
        let entry = |var: &str| {
            serde_json::json!({"client_id": "billing", "redirect_uris": ["https://b.example/cb"],
                "token_endpoint_auth_method": "client_secret_post", "client_secret_env": var})
        };
        let short = one(entry("SHORT_SECRET")).expect_err("short");
        assert!(short[0].starts_with("client \"billing\" (entry 1): client_secret_env: "), "{short:?}");
        assert!(short[0].contains("shorter than 32"), "{short:?}");
        assert!(!short[0].contains("short\""), "the secret itself is never echoed: {short:?}");
        let missing = one(entry("NOT_SET")).expect_err("missing");
        assert!(missing[0].contains("environment variable NOT_SET is not set"), "{missing:?}");
    }

    #[test]
    fn the_documented_example_file_is_valid() {
        let example = include_str!("../../../../docs/clients.example.json");
        let env = |name: &str| (name == "BILLING_CLIENT_SECRET").then(|| LONG.to_owned());
        let clients = parse(example, env, 0).expect("docs/clients.example.json must load");
        let methods: Vec<&str> = clients.iter().map(|c| c.token_endpoint_auth_method.as_str()).collect();
        assert_eq!(methods, ["client_secret_basic", "client_secret_post", "none"]);
    }

    #[test]
    fn problems_name_the_entry_even_without_an_id() {
        let errors = one(serde_json::json!({"redirect_uris": ["https://b.example/cb"]})).expect_err("no id");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("entry 1: entry: missing field `client_id`"), "{errors:?}");
        assert_eq!(parse("[]", env, 0).expect("empty is fine").len(), 0);
    }
}
