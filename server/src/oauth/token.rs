//! The token endpoint (RFC 6749 §3.2, §4.1.3, §6; RFC 7636 §4.6; RFC 8707 §2.2). Every client
//! authenticates with its registered method first (public clients just name themselves); all of
//! them, confidential ones included, must still prove the PKCE verifier (OAuth 2.1 §4.1.3).

use shared::oauth::{ErrorCode, TokenResponse, GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, TOKEN_TYPE_BEARER};
use shared::pkce;

use super::authorize::resolve_resource;
use super::clients::authentication;
use super::jwt::AccessClaims;
use super::keys::KeyRing;
use super::params::Params;
use super::{refresh, secrets};
use crate::config::Settings;
use crate::error::Error;
use crate::store::{AccessToken, AuditEvent, AuthCode, Client, CodeClaim, RefreshToken, Store};

/// What every token grant works with.
#[derive(Clone, Copy)]
pub struct TokenContext<'a> {
    pub store: &'a dyn Store,
    pub clients: &'a crate::oauth::clients::directory::ClientDirectory,
    pub settings: &'a Settings,
    pub keys: &'a KeyRing,
    pub metrics: &'a crate::metrics::Metrics,
}

/// Handles a token request; `authorization` is the request's `Authorization` header, if any.
pub async fn exchange(
    cx: TokenContext<'_>,
    form: &Params,
    authorization: Option<&str>,
    now: i64,
) -> Result<TokenResponse, Error> {
    let store = cx.store;
    let grant_type = form.get("grant_type").ok_or_else(|| Error::invalid_request("grant_type is required"))?;
    if grant_type != GRANT_AUTHORIZATION_CODE && grant_type != GRANT_REFRESH_TOKEN {
        return Err(Error::bad_request(
            ErrorCode::UnsupportedGrantType,
            "supported grant types are authorization_code and refresh_token",
        ));
    }
    let client = authentication::authenticate(store, cx.clients, authorization, form).await?;
    if !client.grant_types.iter().any(|g| g == grant_type) {
        return Err(Error::bad_request(ErrorCode::UnauthorizedClient, "this client did not register that grant type"));
    }
    if grant_type == GRANT_REFRESH_TOKEN {
        return refresh::refresh(cx, &client, form, now).await;
    }
    exchange_code(cx, &client, form, now).await
}

async fn exchange_code(cx: TokenContext<'_>, client: &Client, form: &Params, now: i64) -> Result<TokenResponse, Error> {
    let TokenContext { store, settings, metrics, .. } = cx;
    let code = form.get("code").ok_or_else(|| Error::invalid_request("code is required"))?;
    let redirect_uri = form.get("redirect_uri").ok_or_else(|| Error::invalid_request("redirect_uri is required"))?;
    let verifier =
        form.get("code_verifier").ok_or_else(|| Error::invalid_request("code_verifier is required (PKCE)"))?;

    let code_hash = secrets::hash(code);
    // Read first, written only together with the tokens (`redeem_code`), so that a crash leaves
    // the code either unused or used with its tokens stored.
    let grant = match store.find_code(&code_hash, &client.client_id).await? {
        Some(grant) if grant.used_at.is_none() => grant,
        _ => return Err(spend_refused(store, &code_hash, &client.client_id, now).await),
    };
    let checked =
        check_code(&grant, redirect_uri, verifier, now).and_then(|()| check_resource(form, settings, &grant.resource));
    if let Err(e) = checked {
        // A refused attempt still spends the code: codes are single-use whatever the outcome.
        return Err(match store.claim_code(&code_hash, &client.client_id, now).await? {
            CodeClaim::Claimed(_) => e,
            _ => spend_refused(store, &code_hash, &client.client_id, now).await,
        });
    }
    let issue = Issue {
        client_id: &grant.client_id,
        user_id: &grant.user_id,
        scope: &grant.scope,
        granted_scope: &grant.scope,
        resource: &grant.resource,
        grant_id: grant_id_for_code(&code_hash),
        code_hash: Some(code_hash.clone()),
        refreshes: client.grant_types.iter().any(|g| g == GRANT_REFRESH_TOKEN),
    };
    let minted = mint(cx, issue, now);
    if !store.redeem_code(&code_hash, &client.client_id, now, &minted.access_row, minted.refresh_row.as_ref()).await? {
        // Spent by a concurrent exchange since it was read: a replay, like any second use.
        return Err(spend_refused(store, &code_hash, &client.client_id, now).await);
    }
    Ok(minted.finish(store, metrics).await)
}

/// Expiry, redirect URI and PKCE of an unused code.
fn check_code(grant: &AuthCode, redirect_uri: &str, verifier: &str, now: i64) -> Result<(), Error> {
    if grant.expires_at < now {
        return Err(Error::invalid_grant("authorization code has expired"));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(Error::invalid_grant("redirect_uri does not match the authorization request"));
    }
    if !pkce::verify_s256(verifier, &grant.code_challenge) {
        return Err(Error::invalid_grant("PKCE verification failed"));
    }
    Ok(())
}

/// The answer to a code that cannot be spent: an unknown one (or another client's) changes
/// nothing; a used one is a replay, and RFC 6749 §4.1.2 has what was issued from it revoked. The
/// grant id comes from the code, so this also reaches tokens a racing exchange has yet to store.
async fn spend_refused(store: &dyn Store, code_hash: &str, client_id: &str, now: i64) -> Error {
    match store.claim_code(code_hash, client_id, now).await {
        Ok(CodeClaim::Replayed(grant)) => {
            let revoked = match store.revoke_tokens_from_code(code_hash, &grant_id_for_code(code_hash), now).await {
                Ok(n) => n,
                Err(e) => return e,
            };
            let detail = format!("code replayed; {revoked} token(s) revoked");
            store.audit(AuditEvent::CodeReplayed, Some(&grant.user_id), Some(&grant.client_id), &detail).await;
            Error::invalid_grant("authorization code has already been used")
        }
        Ok(CodeClaim::Claimed(_) | CodeClaim::Unknown) => {
            Error::invalid_grant("authorization code is invalid or was issued to another client")
        }
        Err(e) => e,
    }
}

/// The id of the grant an authorization code starts: derived from the code, so that a replay can
/// name it before, during or after the first exchange stores its tokens.
#[must_use]
pub fn grant_id_for_code(code_hash: &str) -> String {
    secrets::hash(&format!("grant:{code_hash}"))
}

/// RFC 8707: a `resource` in the token request must name the resource the grant is for.
pub fn check_resource(form: &Params, settings: &Settings, granted: &str) -> Result<(), Error> {
    let Some(requested) = form.get("resource") else {
        return Ok(());
    };
    let resource =
        resolve_resource(Some(requested), settings).map_err(|d| Error::bad_request(ErrorCode::InvalidTarget, d))?;
    if resource != granted {
        return Err(Error::bad_request(ErrorCode::InvalidTarget, "resource differs from the authorization"));
    }
    Ok(())
}

/// What to mint.
pub struct Issue<'a> {
    pub client_id: &'a str,
    pub user_id: &'a str,
    /// Scope of the new access token.
    pub scope: &'a str,
    /// Scope the user granted: the ceiling carried by the refresh token.
    pub granted_scope: &'a str,
    pub resource: &'a str,
    pub code_hash: Option<String>,
    /// The grant (and refresh-token family) the tokens belong to: their `gid` claim.
    pub grant_id: String,
    /// Whether to mint a refresh token too (the client registered the refresh grant).
    pub refreshes: bool,
}

/// New tokens, not yet stored: the caller stores the rows (for a refresh, in the same
/// transaction that spends the old token), then [`Minted::finish`] audits and answers.
pub struct Minted {
    pub access_row: AccessToken,
    pub refresh_row: Option<RefreshToken>,
    response: TokenResponse,
    event: AuditEvent,
    audit_detail: String,
}

impl Minted {
    /// Audited as a retry within the grace period, which replaced an unseen successor pair.
    #[must_use]
    pub fn retried(mut self) -> Self {
        self.event = AuditEvent::RefreshRetried;
        self.audit_detail = format!("unused successor replaced; {}", self.audit_detail);
        self
    }

    pub async fn finish(self, store: &dyn Store, metrics: &crate::metrics::Metrics) -> TokenResponse {
        match self.event {
            AuditEvent::TokenRefreshed | AuditEvent::RefreshRetried => metrics.token_refreshes.inc(),
            _ => metrics.tokens_issued.inc(),
        };
        let row = &self.access_row;
        store.audit(self.event, Some(&row.user_id), Some(&row.client_id), &self.audit_detail).await;
        self.response
    }
}

/// Signs a new access token (RFC 9068 JWT) and makes a refresh token when the grant refreshes.
pub fn mint(cx: TokenContext<'_>, i: Issue<'_>, now: i64) -> Minted {
    let TokenContext { settings, keys, .. } = cx;
    // Only the authorization-code grant carries a code; the refresh grant never does.
    let event = if i.code_hash.is_some() { AuditEvent::TokenIssued } else { AuditEvent::TokenRefreshed };
    let jti = secrets::random_token();
    let access_token = keys.sign(&AccessClaims {
        iss: settings.issuer.clone(),
        sub: i.user_id.to_owned(),
        aud: i.resource.to_owned(),
        client_id: i.client_id.to_owned(),
        scope: i.scope.to_owned(),
        exp: now + settings.access_token_ttl,
        iat: now,
        nbf: None,
        jti: jti.clone(),
        gid: Some(i.grant_id.clone()),
    });
    // The database keeps the token's hash so that introspection and revocation still work.
    let access_row = AccessToken {
        token_hash: secrets::hash(&access_token),
        client_id: i.client_id.to_owned(),
        user_id: i.user_id.to_owned(),
        scope: i.scope.to_owned(),
        audience: i.resource.to_owned(),
        code_hash: i.code_hash,
        issued_at: now,
        expires_at: now + settings.access_token_ttl,
        revoked_at: None,
        family_id: Some(i.grant_id.clone()),
        jti: Some(jti),
    };
    let refresh_token = i.refreshes.then(secrets::random_token);
    let refresh_row = refresh_token.as_ref().map(|token| RefreshToken {
        token_hash: secrets::hash(token),
        family_id: i.grant_id.clone(),
        client_id: i.client_id.to_owned(),
        user_id: i.user_id.to_owned(),
        scope: i.granted_scope.to_owned(),
        resource: i.resource.to_owned(),
        issued_at: now,
        expires_at: now + settings.refresh_token_ttl,
        used_at: None,
        revoked_at: None,
        replaced_by: None,
    });
    Minted {
        access_row,
        refresh_row,
        audit_detail: format!("aud={} scope={}", i.resource, i.scope),
        event,
        response: TokenResponse {
            access_token,
            token_type: TOKEN_TYPE_BEARER.into(),
            expires_in: u64::try_from(settings.access_token_ttl).unwrap_or(0),
            scope: Some(i.scope.to_owned()),
            refresh_token,
        },
    }
}
