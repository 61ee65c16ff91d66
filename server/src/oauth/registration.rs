//! Dynamic client registration (RFC 7591): public clients (`none`) and confidential ones
//! (`client_secret_basic` / `client_secret_post`), `web` or `native` (OIDC Registration §2).

use shared::oauth::{ClientRegistrationRequest, ClientRegistrationResponse};

use super::clients::metadata::{self, MetadataError};
use super::secrets;
use crate::error::Error;
use crate::store::{AuditEvent, Store};

/// Every registered id starts with this; configured client ids may not, so the two never meet.
pub const DYNAMIC_CLIENT_ID_PREFIX: &str = "c_";

impl From<MetadataError> for Error {
    fn from(e: MetadataError) -> Self {
        Error::bad_request(e.code, e.message)
    }
}

/// Validates the request, stores the client and returns what was registered. A confidential
/// client's secret appears in this response only; the store keeps its hash.
pub async fn register(
    store: &dyn Store,
    req: ClientRegistrationRequest,
    private_use_schemes: &[String],
    now: i64,
) -> Result<ClientRegistrationResponse, Error> {
    let valid = metadata::validate(req, private_use_schemes)?;
    let secret = valid.auth_method.is_confidential().then(secrets::random_token);
    let client_id = format!("{DYNAMIC_CLIENT_ID_PREFIX}{}", secrets::random_token());
    let client = valid.into_client(client_id, secret.as_deref().map(secrets::hash), false, now);
    store.insert_client(&client).await?;
    let detail = format!("{} ({})", client.client_name.as_deref().unwrap_or(""), client.token_endpoint_auth_method);
    store.audit(AuditEvent::ClientRegistered, None, Some(&client.client_id), &detail).await;
    Ok(ClientRegistrationResponse {
        client_id: client.client_id,
        client_id_issued_at: Some(now),
        // RFC 7591 §3.2.1: 0 means the secret does not expire.
        client_secret_expires_at: secret.as_ref().map(|_| 0),
        client_secret: secret,
        redirect_uris: client.redirect_uris,
        client_name: client.client_name,
        client_uri: client.client_uri,
        grant_types: client.grant_types,
        response_types: client.response_types,
        token_endpoint_auth_method: client.token_endpoint_auth_method,
        scope: client.scope,
        application_type: Some(client.application_type),
    })
}
