//! Token introspection (RFC 7662): the resource server's view of a token. Revocation and
//! expiry show at once because every call reads the database (the token and the revocation log).

use shared::oauth::{IntrospectionResponse, TOKEN_TYPE_BEARER};

use super::secrets;
use crate::config::Settings;
use crate::error::Error;
use crate::store::Store;

pub async fn introspect(
    store: &dyn Store,
    settings: &Settings,
    token: &str,
    now: i64,
) -> Result<IntrospectionResponse, Error> {
    let Some(t) = store.find_access_token(&secrets::hash(token)).await? else {
        return Ok(IntrospectionResponse::default());
    };
    if !t.is_active(now) {
        return Ok(IntrospectionResponse::default());
    }
    // A token a racing issuance stored just after its grant was revoked is dead too.
    if let Some(grant_id) = &t.family_id {
        if store.grant_revoked(grant_id).await? {
            return Ok(IntrospectionResponse::default());
        }
    }
    let username = store.find_user(&t.user_id).await?.map(|u| u.username);
    Ok(IntrospectionResponse {
        active: true,
        scope: Some(t.scope),
        client_id: Some(t.client_id),
        username,
        token_type: Some(TOKEN_TYPE_BEARER.into()),
        exp: Some(t.expires_at),
        iat: Some(t.issued_at),
        sub: Some(t.user_id),
        aud: Some(t.audience),
        iss: Some(settings.issuer.clone()),
    })
}
