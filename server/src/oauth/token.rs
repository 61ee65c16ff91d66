//! The token endpoint for `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6,
//! RFC 8707 §2.2). Public clients only: they prove possession with the PKCE verifier.

use shared::oauth::{ErrorCode, TokenResponse, GRANT_AUTHORIZATION_CODE, TOKEN_TYPE_BEARER};
use shared::pkce;

use super::authorize::resolve_resource;
use super::params::Params;
use super::secrets;
use crate::config::Settings;
use crate::error::Error;
use crate::store::{AccessToken, AuditEvent, CodeClaim, Store};

/// Exchanges a code. `basic_auth_present` is true when the request carried client credentials
/// in an `Authorization` header, which no client registered here may use.
pub async fn exchange(
    store: &Store,
    settings: &Settings,
    form: &Params,
    basic_auth_present: bool,
    now: i64,
) -> Result<TokenResponse, Error> {
    match form.get("grant_type") {
        Some(GRANT_AUTHORIZATION_CODE) => {}
        Some(_) => {
            return Err(Error::bad_request(ErrorCode::UnsupportedGrantType, "only authorization_code is supported"))
        }
        None => return Err(Error::invalid_request("grant_type is required")),
    }
    if basic_auth_present {
        return Err(Error::ClientAuth);
    }
    let client_id = form.get("client_id").ok_or(Error::ClientAuth)?;
    let client = store.find_client(client_id).await?.ok_or(Error::ClientAuth)?;
    let code = form.get("code").ok_or_else(|| Error::invalid_request("code is required"))?;
    let redirect_uri = form.get("redirect_uri").ok_or_else(|| Error::invalid_request("redirect_uri is required"))?;
    let verifier =
        form.get("code_verifier").ok_or_else(|| Error::invalid_request("code_verifier is required (PKCE)"))?;

    let code_hash = secrets::hash(code);
    let grant = match store.claim_code(&code_hash, now).await? {
        CodeClaim::Claimed(grant) => grant,
        CodeClaim::Replayed(grant) => {
            // RFC 6749 §4.1.2: a reused code revokes what was issued from it.
            let revoked = store.revoke_tokens_from_code(&code_hash, now).await?;
            let detail = format!("code replayed; {revoked} token(s) revoked");
            store.audit(AuditEvent::CodeReplayed, Some(&grant.user_id), Some(&grant.client_id), &detail).await;
            return Err(Error::invalid_grant("authorization code has already been used"));
        }
        CodeClaim::Unknown => return Err(Error::invalid_grant("authorization code is invalid")),
    };
    if grant.client_id != client.client_id {
        return Err(Error::invalid_grant("authorization code was issued to another client"));
    }
    if grant.expires_at < now {
        return Err(Error::invalid_grant("authorization code has expired"));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(Error::invalid_grant("redirect_uri does not match the authorization request"));
    }
    if !pkce::verify_s256(verifier, &grant.code_challenge) {
        return Err(Error::invalid_grant("PKCE verification failed"));
    }
    if let Some(requested) = form.get("resource") {
        let resource =
            resolve_resource(Some(requested), settings).map_err(|d| Error::bad_request(ErrorCode::InvalidTarget, d))?;
        if resource != grant.resource {
            return Err(Error::bad_request(
                ErrorCode::InvalidTarget,
                "resource differs from the authorization request",
            ));
        }
    }

    let access_token = secrets::random_token();
    store
        .insert_access_token(&AccessToken {
            token_hash: secrets::hash(&access_token),
            client_id: grant.client_id.clone(),
            user_id: grant.user_id.clone(),
            scope: grant.scope.clone(),
            audience: grant.resource.clone(),
            code_hash: Some(code_hash),
            issued_at: now,
            expires_at: now + settings.access_token_ttl,
            revoked_at: None,
        })
        .await?;
    store
        .audit(
            AuditEvent::TokenIssued,
            Some(&grant.user_id),
            Some(&grant.client_id),
            &format!("aud={}", grant.resource),
        )
        .await;
    Ok(TokenResponse {
        access_token,
        token_type: TOKEN_TYPE_BEARER.into(),
        expires_in: u64::try_from(settings.access_token_ttl).unwrap_or(0),
        scope: Some(grant.scope),
        refresh_token: None,
    })
}
