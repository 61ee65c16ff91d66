//! Token verification for the resource server through RFC 7662 introspection, authenticated
//! with the configured secret. The answer is checked here, not trusted: issuer, audience
//! (RFC 8707: exactly our canonical URL), expiry and activity.

use shared::oauth::IntrospectionResponse;
use shared::scopes::ScopeSet;

use crate::config::Settings;

/// Who is calling, as proven by a valid token. Tools read it from the request extensions.
#[derive(Clone, Debug)]
pub struct AuthContext {
    pub user_id: String,
    pub username: Option<String>,
    pub client_id: String,
    pub scopes: ScopeSet,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Inactive, expired, revoked, unknown, wrong audience or issuer: `invalid_token`.
    Invalid(&'static str),
    /// The authorization server could not be asked.
    Unavailable,
}

pub struct Verifier {
    http: reqwest::Client,
    url: String,
    authorization: String,
}

impl Verifier {
    pub fn new(settings: &Settings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            http,
            url: settings.introspection_url.clone(),
            authorization: crate::http::introspect::basic_credentials(&settings.introspection_secret),
        }
    }

    pub async fn verify(&self, token: &str, settings: &Settings, now: i64) -> Result<AuthContext, Rejected> {
        let resp = self
            .http
            .post(&self.url)
            .header(reqwest::header::AUTHORIZATION, &self.authorization)
            .form(&[("token", token)])
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "introspection request failed");
                Rejected::Unavailable
            })?;
        if !resp.status().is_success() {
            tracing::error!(status = %resp.status(), "introspection refused");
            return Err(Rejected::Unavailable);
        }
        let info: IntrospectionResponse = resp.json().await.map_err(|e| {
            tracing::error!(error = %e, "introspection answer unreadable");
            Rejected::Unavailable
        })?;
        check(info, settings, now)
    }
}

/// Validates an introspection answer against this resource server's expectations.
pub fn check(info: IntrospectionResponse, settings: &Settings, now: i64) -> Result<AuthContext, Rejected> {
    if !info.active {
        return Err(Rejected::Invalid("the access token is not active"));
    }
    if info.iss.as_deref() != Some(settings.issuer.as_str()) {
        return Err(Rejected::Invalid("the access token was issued by another authorization server"));
    }
    if info.aud.as_deref() != Some(settings.resource.as_str()) {
        return Err(Rejected::Invalid("the access token is not meant for this resource"));
    }
    if info.exp.is_none_or(|exp| exp <= now) {
        return Err(Rejected::Invalid("the access token has expired"));
    }
    let (Some(user_id), Some(client_id)) = (info.sub, info.client_id) else {
        return Err(Rejected::Invalid("the access token has no subject"));
    };
    Ok(AuthContext {
        user_id,
        username: info.username,
        client_id,
        scopes: info.scope.as_deref().and_then(ScopeSet::parse).unwrap_or_default(),
    })
}
