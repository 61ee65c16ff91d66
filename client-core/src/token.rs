//! The token endpoint (RFC 6749 §4.1.3 code exchange with the PKCE verifier and RFC 8707
//! `resource`; §6 refresh) and RFC 7009 revocation, with the client authentication the
//! credentials name: `none` (client_id in the form), `client_secret_post`, or
//! `client_secret_basic` (RFC 6749 §2.3.1: both parts form-urlencoded before base64).

use serde::Serialize;
use shared::oauth::{
    TokenResponse, AUTH_METHOD_CLIENT_SECRET_BASIC, AUTH_METHOD_CLIENT_SECRET_POST, GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN, TOKEN_TYPE_BEARER,
};
use shared::{base64, form};

use crate::authorize::PendingAuthorization;
use crate::error::CoreError;
use crate::http::{HttpClient, HttpRequest, HttpResponse};
use crate::identity::Credentials;
use crate::wire::{self, FORM, JSON};

pub const TOKEN_WHAT: &str = "the token endpoint";

/// A logged-in session: the tokens, where to use them and how to renew them.
/// (`Deserialize` is in `stored`: one shared field reader instead of a derived visitor.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Session {
    pub access_token: String,
    /// Milliseconds since the epoch when the access token expires (`now_ms` + `expires_in`).
    pub expires_at: i64,
    /// The access token's lifetime as the server gave it (`expires_in`, seconds).
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// The newest refresh token; each use returns a new one and kills this one.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The granted scope (from the token response, else the requested one).
    #[serde(default)]
    pub scope: Option<String>,
    pub mcp_url: String,
    pub resource: String,
    pub issuer: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    pub credentials: Credentials,
}

impl Session {
    /// `self` with the tokens of a token response that arrived at `now_ms`. What a response may
    /// omit is kept: the scope when unchanged (RFC 6749 §5.1), the refresh token when the server
    /// does not rotate it (§6).
    #[must_use]
    pub fn with_tokens(self, token: TokenResponse, now_ms: i64) -> Self {
        let lifetime_ms = i64::try_from(token.expires_in).unwrap_or(i64::MAX).saturating_mul(1000);
        Self {
            access_token: token.access_token,
            expires_at: now_ms.saturating_add(lifetime_ms),
            expires_in: Some(token.expires_in),
            refresh_token: token.refresh_token.or(self.refresh_token),
            scope: token.scope.or(self.scope),
            ..self
        }
    }

    #[must_use]
    pub fn is_expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at
    }

    /// The access token is valid, or a refresh token can renew it.
    #[must_use]
    pub fn is_usable(&self, now_ms: i64) -> bool {
        !self.is_expired(now_ms) || self.refresh_token.is_some()
    }

    /// Renew when less than 30 s are left, or half the lifetime when that is shorter (so a
    /// short-lived token is not renewed before every request).
    #[must_use]
    pub fn needs_refresh(&self, now_ms: i64) -> bool {
        let half = self.expires_in.map_or(i64::MAX, |s| i64::try_from(s.saturating_mul(500)).unwrap_or(i64::MAX));
        self.refresh_token.is_some() && self.expires_at - now_ms <= 30_000.min(half)
    }
}

/// Adds the client authentication to a token/revocation form.
fn authenticate<'a>(creds: &'a Credentials, form: &mut Vec<(&str, &'a str)>, req: HttpRequest) -> HttpRequest {
    match (creds.token_endpoint_auth_method.as_str(), &creds.client_secret) {
        (AUTH_METHOD_CLIENT_SECRET_BASIC, Some(secret)) => {
            // RFC 6749 §2.3.1: each part form-encoded, then the pair in Base64.
            let pair = format!("{}:{}", form::encode(&creds.client_id), form::encode(secret));
            let value = format!("Basic {}", base64::standard(pair.as_bytes()));
            req.header("authorization", &value)
        }
        (AUTH_METHOD_CLIENT_SECRET_POST, Some(secret)) => {
            form.push(("client_id", &creds.client_id));
            form.push(("client_secret", secret));
            req
        }
        _ => {
            form.push(("client_id", &creds.client_id));
            req
        }
    }
}

/// A form POST to `endpoint` with the client authentication.
fn form_request<'a>(endpoint: &str, creds: &'a Credentials, mut form: Vec<(&str, &'a str)>) -> HttpRequest {
    let req = authenticate(creds, &mut form, HttpRequest::post(endpoint, FORM, Vec::new()).header("accept", JSON));
    HttpRequest { body: Some(wire::form(&form).into_bytes()), ..req }
}

/// Anything but 200 is the request's error (RFC 6749 §5.2 when the body says).
fn expect_200(what: &str, action: &str, endpoint: &str, res: &HttpResponse) -> Result<(), CoreError> {
    if res.status == 200 {
        return Ok(());
    }
    Err(wire::oauth_error(action, res).unwrap_or_else(|| wire::status_error(what, "POST", endpoint, "200", res)))
}

/// The token endpoint's answer: 200 with a Bearer token.
fn token_answer(endpoint: &str, action: &str, res: &HttpResponse) -> Result<TokenResponse, CoreError> {
    expect_200(TOKEN_WHAT, action, endpoint, res)?;
    let token: TokenResponse = wire::parse(TOKEN_WHAT, endpoint, res)?;
    if !token.token_type.eq_ignore_ascii_case(TOKEN_TYPE_BEARER) {
        return Err(CoreError::Invalid {
            what: TOKEN_WHAT.into(),
            url: endpoint.to_owned(),
            reason: format!("token_type is \"{}\", expected \"Bearer\"", token.token_type),
        });
    }
    Ok(token)
}

/// The authorization-code grant; returns the new session (`now_ms`: milliseconds since the epoch).
pub async fn exchange_code<H: HttpClient>(
    http: &H,
    pending: &PendingAuthorization,
    code: &str,
    now_ms: i64,
) -> Result<Session, CoreError> {
    let form = vec![
        ("grant_type", GRANT_AUTHORIZATION_CODE),
        ("code", code),
        ("redirect_uri", &pending.redirect_uri),
        ("code_verifier", &pending.code_verifier),
        ("resource", &pending.resource),
    ];
    let endpoint = &pending.token_endpoint;
    let res = wire::send(http, TOKEN_WHAT, form_request(endpoint, &pending.credentials, form)).await?;
    let token = token_answer(endpoint, "Token request", &res)?;
    let session = Session {
        access_token: String::new(),
        expires_at: 0,
        expires_in: None,
        refresh_token: None,
        scope: pending.scope.clone(),
        mcp_url: pending.mcp_url.clone(),
        resource: pending.resource.clone(),
        issuer: pending.issuer.clone(),
        token_endpoint: pending.token_endpoint.clone(),
        revocation_endpoint: pending.revocation_endpoint.clone(),
        credentials: pending.credentials.clone(),
    };
    Ok(session.with_tokens(token, now_ms))
}

/// The refresh-token grant with the RFC 8707 resource. The server rotates refresh tokens: the
/// one sent is dead once this returns, so callers must keep the new session and never run two
/// refreshes at once ([`crate::keeper::TokenKeeper`] makes sure).
pub async fn refresh<H: HttpClient>(http: &H, session: &Session, now_ms: i64) -> Result<Session, CoreError> {
    let Some(refresh_token) = session.refresh_token.as_deref() else {
        return Err(CoreError::CannotRefresh(
            "This session has no refresh token (the server did not issue one), so it cannot be renewed. Log in again \
             when the access token expires."
                .into(),
        ));
    };
    let form =
        vec![("grant_type", GRANT_REFRESH_TOKEN), ("refresh_token", refresh_token), ("resource", &session.resource)];
    let endpoint = &session.token_endpoint;
    let res = wire::send(http, TOKEN_WHAT, form_request(endpoint, &session.credentials, form)).await?;
    let token = token_answer(endpoint, "Token refresh", &res)?;
    Ok(session.clone().with_tokens(token, now_ms))
}

/// What [`revoke`] revokes (RFC 7009 §2.1 `token_type_hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    /// Revoking a refresh token ends the whole grant, its access tokens included.
    Refresh,
}

/// RFC 7009 revocation; best effort for the caller, who forgets the token whatever happens.
pub async fn revoke<H: HttpClient>(
    http: &H,
    endpoint: &str,
    creds: &Credentials,
    token: &str,
    kind: TokenKind,
) -> Result<(), CoreError> {
    let hint = match kind {
        TokenKind::Access => "access_token",
        TokenKind::Refresh => "refresh_token",
    };
    let form = vec![("token", token), ("token_type_hint", hint)];
    const WHAT: &str = "the revocation endpoint";
    let res = wire::send(http, WHAT, form_request(endpoint, creds, form)).await?;
    expect_200(WHAT, "Revocation", endpoint, &res)
}
