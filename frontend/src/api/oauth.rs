//! Requests to the authorization server and the metadata documents: RFC 9728 protected resource
//! metadata, RFC 8414 server metadata, RFC 7591 registration, the RFC 6749 token endpoint (code
//! exchange and refresh) and RFC 7009 revocation.
//! Answers come back as the `shared::oauth` wire types; OAuth error bodies become
//! [`ClientError::OAuth`]. Deciding what the answers mean is the flow's job, not this module's.

use gloo_net::http::Request;
use serde::de::DeserializeOwned;
use shared::oauth::{
    AuthorizationCodeTokenRequest, ClientRegistrationRequest, ClientRegistrationResponse, OAuthErrorBody,
    TokenResponse, GRANT_REFRESH_TOKEN,
};
use shared::urls::NetworkUrls;

use super::{excerpt, send, Outgoing, Reply};
use crate::error::ClientError;

/// A parsed document and the status line it came with (for the timeline's sentences).
pub struct Fetched<T> {
    pub value: T,
    pub status: String,
}

/// GET a JSON metadata document; anything but 200 with valid JSON is an error, and so is any
/// URL in it that `shared::urls::validate_network_url` refuses (a `javascript:` endpoint, plain
/// http to another host): checked here, as the document is parsed, so no later step of the flow
/// can fetch or navigate to one unchecked.
pub async fn get_json<T: DeserializeOwned + NetworkUrls>(
    target: &'static str,
    url: &str,
) -> Result<Fetched<T>, ClientError> {
    let out = Outgoing { target, method: "GET", url };
    let reply = send(&out, Request::get(url).header("Accept", "application/json"), None).await?;
    if reply.status != 200 {
        return Err(status_error(&out, "200", &reply));
    }
    let fetched: Fetched<T> = parse(&out, &reply)?;
    fetched.value.check_network_urls().map_err(|refused| ClientError::Invalid {
        target,
        url: url.to_owned(),
        reason: refused.to_string(),
    })?;
    Ok(fetched)
}

/// RFC 7591 dynamic registration; the server must answer 201 Created.
pub async fn register(
    endpoint: &str,
    request: &ClientRegistrationRequest,
) -> Result<Fetched<ClientRegistrationResponse>, ClientError> {
    let out = Outgoing { target: "the registration endpoint", method: "POST", url: endpoint };
    let body = serde_json::to_string(request)
        .map_err(|e| ClientError::message(format!("Could not encode the registration request ({e}).")))?;
    let builder =
        Request::post(endpoint).header("Content-Type", "application/json").header("Accept", "application/json");
    let reply = send(&out, builder, Some(body)).await?;
    if reply.status != 201 {
        return Err(oauth_error("Client registration", &reply).unwrap_or_else(|| status_error(&out, "201", &reply)));
    }
    parse(&out, &reply)
}

/// What [`revoke`] is asked to revoke (RFC 7009 §2.1 `token_type_hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    /// Revoking a refresh token ends the whole grant, its access tokens included.
    Refresh,
}

impl TokenKind {
    fn hint(self) -> &'static str {
        match self {
            Self::Access => "access_token",
            Self::Refresh => "refresh_token",
        }
    }
}

/// RFC 7009 revocation of a token by the public client that holds it. Best effort: the caller
/// forgets the token whatever the answer.
pub async fn revoke(endpoint: &str, client_id: &str, token: &str, kind: TokenKind) -> Result<(), ClientError> {
    let out = Outgoing { target: "the revocation endpoint", method: "POST", url: endpoint };
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("token", token).append_pair("token_type_hint", kind.hint()).append_pair("client_id", client_id);
    let builder = Request::post(endpoint).header("Content-Type", "application/x-www-form-urlencoded");
    let reply = send(&out, builder, Some(form.finish())).await?;
    if reply.status != 200 {
        return Err(oauth_error("Revocation", &reply).unwrap_or_else(|| status_error(&out, "200", &reply)));
    }
    Ok(())
}

/// The authorization-code grant (RFC 6749 §4.1.3) with the PKCE verifier and RFC 8707 resource.
pub async fn exchange_code(
    endpoint: &str,
    request: &AuthorizationCodeTokenRequest,
) -> Result<Fetched<TokenResponse>, ClientError> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", &request.grant_type)
        .append_pair("code", &request.code)
        .append_pair("redirect_uri", &request.redirect_uri)
        .append_pair("client_id", &request.client_id)
        .append_pair("code_verifier", &request.code_verifier);
    if let Some(resource) = &request.resource {
        form.append_pair("resource", resource);
    }
    token_request(endpoint, "Token request", form.finish()).await
}

/// The refresh-token grant (RFC 6749 §6) for a public client, with the RFC 8707 resource. The
/// server rotates refresh tokens: the answer carries a new one and `refresh_token` is dead from
/// now on, so the caller must keep the new one and never send two refreshes at once. An
/// `invalid_grant` answer (expired, revoked or reused token) comes back as [`ClientError::OAuth`].
pub async fn refresh(
    endpoint: &str,
    client_id: &str,
    refresh_token: &str,
    resource: Option<&str>,
) -> Result<TokenResponse, ClientError> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", GRANT_REFRESH_TOKEN)
        .append_pair("refresh_token", refresh_token)
        .append_pair("client_id", client_id);
    if let Some(resource) = resource {
        form.append_pair("resource", resource);
    }
    token_request(endpoint, "Token refresh", form.finish()).await.map(|fetched| fetched.value)
}

/// `POST` a form to the token endpoint; anything but 200 with a Bearer token is an error.
async fn token_request(
    endpoint: &str,
    action: &'static str,
    form: String,
) -> Result<Fetched<TokenResponse>, ClientError> {
    let out = Outgoing { target: "the token endpoint", method: "POST", url: endpoint };
    let builder = Request::post(endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json");
    let reply = send(&out, builder, Some(form)).await?;
    if reply.status != 200 {
        return Err(oauth_error(action, &reply).unwrap_or_else(|| status_error(&out, "200", &reply)));
    }
    let fetched: Fetched<TokenResponse> = parse(&out, &reply)?;
    if !fetched.value.token_type.eq_ignore_ascii_case(shared::oauth::TOKEN_TYPE_BEARER) {
        return Err(ClientError::Invalid {
            target: out.target,
            url: endpoint.to_owned(),
            reason: format!("token_type is \"{}\", expected \"Bearer\"", fetched.value.token_type),
        });
    }
    Ok(fetched)
}

fn parse<T: DeserializeOwned>(out: &Outgoing<'_>, reply: &Reply) -> Result<Fetched<T>, ClientError> {
    serde_json::from_str(&reply.body)
        .map(|value| Fetched { value, status: reply.status_line() })
        .map_err(|e| ClientError::Invalid { target: out.target, url: out.url.to_owned(), reason: format!("{e}") })
}

fn oauth_error(action: &'static str, reply: &Reply) -> Option<ClientError> {
    let body: OAuthErrorBody = serde_json::from_str(&reply.body).ok()?;
    Some(ClientError::OAuth { action, error: body.error, description: body.error_description })
}

fn status_error(out: &Outgoing<'_>, expected: &'static str, reply: &Reply) -> ClientError {
    ClientError::Status {
        target: out.target,
        method: out.method,
        url: out.url.to_owned(),
        expected,
        got: reply.status,
        detail: Some(excerpt(&reply.body)).filter(|d| !d.is_empty()),
    }
}
