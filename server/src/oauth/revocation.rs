//! Token revocation (RFC 7009): the client authenticates as at the token endpoint (public
//! clients name themselves with `client_id`) and may revoke only tokens issued to it. Unknown or
//! foreign tokens get the same 200 answer, so the endpoint reveals nothing about tokens a caller
//! does not hold.

use super::clients::authentication;
use super::params::Params;
use super::secrets;
use crate::error::Error;
use crate::store::{AuditEvent, Store};

/// `authorization` is the request's `Authorization` header, if any.
pub async fn revoke(
    store: &dyn Store,
    clients: &crate::oauth::clients::directory::ClientDirectory,
    metrics: &crate::metrics::Metrics,
    form: &Params,
    authorization: Option<&str>,
    now: i64,
) -> Result<(), Error> {
    let client = authentication::authenticate(store, clients, authorization, form).await?;
    let client_id = client.client_id.as_str();
    let token = form.get("token").ok_or_else(|| Error::invalid_request("token is required"))?;
    // token_type_hint is only a hint (RFC 7009 §2.1): both kinds are looked up by hash anyway.
    let hash = secrets::hash(token);
    if let Some(refresh) = store.find_refresh_token(&hash).await?.filter(|t| t.client_id == client_id) {
        // Revoking a refresh token ends the whole grant, access tokens included (RFC 7009 §2.1).
        store.revoke_family(&refresh.family_id, now).await?;
        metrics.revocations.inc();
        store
            .audit(AuditEvent::TokenRevoked, Some(&refresh.user_id), Some(client_id), "grant revoked by the client")
            .await;
    } else if store.revoke_access_token(&hash, client_id, now).await? {
        metrics.revocations.inc();
        store.audit(AuditEvent::TokenRevoked, None, Some(client_id), "access token revoked by the client").await;
    }
    Ok(())
}
