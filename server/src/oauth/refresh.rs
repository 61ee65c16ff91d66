//! The refresh-token grant (RFC 6749 §6, OAuth 2.1 §4.3): every use rotates the token; a used
//! token presented again revokes its whole family (access tokens included), because either the
//! client or a thief now holds a stale copy. Scope may shrink, never grow; the resource is fixed.
//!
//! Real clients lose responses (a timeout, a crash before the new token is saved) and retry with
//! the old token. So within `--refresh-reuse-grace-secs` of the rotation, and while the successor
//! is unused, the retry is answered instead: the unseen successor pair is revoked and a new one
//! issued in its place (one live refresh token per family, always). After the successor's first
//! use, or once the grace has passed, reuse is theft, as above.

use shared::oauth::{ErrorCode, TokenResponse};
use shared::scopes::ScopeSet;

use super::params::Params;
use super::secrets;
use super::token::{check_resource, mint, Issue, TokenContext};
use crate::error::Error;
use crate::store::{AuditEvent, Client, RefreshClaim};

pub async fn refresh(cx: TokenContext<'_>, client: &Client, form: &Params, now: i64) -> Result<TokenResponse, Error> {
    let TokenContext { store, settings, metrics, .. } = cx;
    let presented = form.get("refresh_token").ok_or_else(|| Error::invalid_request("refresh_token is required"))?;
    let hash = secrets::hash(presented);
    // Validate everything that does not consume the token first, so a malformed request by the
    // rightful client does not burn it.
    let Some(existing) = store.find_refresh_token(&hash).await? else {
        return Err(Error::invalid_grant("refresh token is invalid"));
    };
    if existing.client_id != client.client_id {
        return Err(Error::invalid_grant("refresh token was issued to another client"));
    }
    let granted = ScopeSet::parse(&existing.scope).unwrap_or_default();
    let scope = match form.get("scope") {
        None => granted.clone(),
        Some(raw) => {
            let asked = ScopeSet::parse(raw)
                .ok_or_else(|| Error::bad_request(ErrorCode::InvalidScope, "scope is malformed"))?;
            if !asked.is_subset_of(&granted) || asked.is_empty() {
                return Err(Error::bad_request(ErrorCode::InvalidScope, "scope exceeds what was originally granted"));
            }
            asked
        }
    };
    check_resource(form, settings, &existing.resource)?;

    if existing.expires_at <= now {
        return Err(Error::invalid_grant("refresh token has expired"));
    }
    // The successors are made first and stored in the transaction that spends the old token, and
    // only if its grant is still live: a revocation landing at any moment leaves none behind.
    let issue = Issue {
        client_id: &existing.client_id,
        user_id: &existing.user_id,
        scope: &scope.to_string(),
        granted_scope: &existing.scope,
        resource: &existing.resource,
        code_hash: None,
        grant_id: existing.family_id.clone(),
        refreshes: true,
    };
    let minted = mint(cx, issue, now);
    let mut claim = store.rotate_refresh_token(&hash, now, &minted.access_row, minted.refresh_row.as_ref()).await?;
    let mut retried = false;
    if let (RefreshClaim::Reused(t), Some(next)) = (&claim, &minted.refresh_row) {
        // The successor it names is the one this retry replaces; a concurrent retry that
        // replaced it first makes this one `Superseded`, so retries never chain or fork.
        let since = now.saturating_sub(settings.refresh_reuse_grace_secs);
        let in_grace = settings.refresh_reuse_grace_secs > 0 && t.used_at.is_some_and(|used| used > since);
        if let (true, Some(successor)) = (in_grace, t.replaced_by.clone()) {
            claim = store.retry_rotation(&hash, &successor, since, now, &minted.access_row, next).await?;
            retried = true;
        }
    }
    match claim {
        RefreshClaim::Claimed(_) if retried => Ok(minted.retried().finish(store, metrics).await),
        RefreshClaim::Claimed(_) => Ok(minted.finish(store, metrics).await),
        RefreshClaim::Reused(t) => {
            store.revoke_family(&t.family_id, now).await?;
            store.audit(AuditEvent::RefreshReused, Some(&t.user_id), Some(&t.client_id), "family revoked").await;
            Err(Error::invalid_grant("refresh token was already used; the session has been revoked"))
        }
        RefreshClaim::Superseded => {
            Err(Error::invalid_grant("refresh token was just rotated again by a concurrent request"))
        }
        RefreshClaim::Revoked => Err(Error::invalid_grant("refresh token has been revoked")),
        RefreshClaim::Unknown => Err(Error::invalid_grant("refresh token is invalid")),
    }
}
