//! How the resource server checks a bearer token. By default it verifies the JWT locally against
//! the authorization server's JWKS (see [`super::jwks`]: refetched when 5 minutes old or when an
//! unknown `kid` appears, at most every 10 s, and following this process's AS at once);
//! alternatively it asks the authorization server through RFC 7662 introspection, authenticated
//! with the configured secret. Either way issuer, audience (RFC 8707: exactly our canonical URL)
//! and expiry are checked here, not trusted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shared::oauth::IntrospectionResponse;
use shared::scopes::ScopeSet;

use super::denylist::Denylist;
use super::introspection_cache::IntrospectionCache;
use super::jwks::JwksCache;
use super::token_cache::{TokenCache, Verified};
use crate::config::{Settings, Verification};
use crate::oauth::jwt::Expect;
use crate::oauth::keys::SigningKeys;

/// The client for the resource server's calls to its AS (JWKS, introspection, revocation feed):
/// short timeout, never follows a redirect.
#[must_use]
pub fn back_channel_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// Who is calling, as proven by a valid token. Tools read it from the request extensions.
#[derive(Clone, Debug)]
pub struct AuthContext {
    pub user_id: String,
    pub client_id: String,
    pub scopes: ScopeSet,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Inactive, expired, revoked, unknown, forged, wrong audience or issuer: `invalid_token`.
    Invalid(&'static str),
    /// The authorization server could not be asked.
    Unavailable,
}

pub struct Verifier {
    http: reqwest::Client,
    mode: Verification,
    introspection_url: String,
    authorization: String,
    jwks: JwksCache,
    /// JWTs verified before (JWT mode), rechecked on every use; see [`super::token_cache`].
    verified: TokenCache,
    introspected: IntrospectionCache,
    /// Revoked grants and tokens, checked after every signature (no round trip per request).
    denylist: Arc<Denylist>,
    /// The denylist generation the introspection cache was filled under.
    cache_generation: AtomicU64,
}

impl Verifier {
    pub fn new(settings: &Settings, denylist: Arc<Denylist>) -> Self {
        let http = back_channel_client();
        let jwks = JwksCache::new(http.clone(), settings.jwks_url.clone());
        Self {
            http,
            mode: settings.verification,
            introspection_url: settings.introspection_url.clone(),
            authorization: crate::http::introspect::basic_credentials(&settings.introspection_secret),
            jwks,
            verified: TokenCache::default(),
            introspected: IntrospectionCache::new(settings.introspection_cache_secs),
            cache_generation: AtomicU64::new(denylist.generation()),
            denylist,
        }
    }

    pub async fn verify(&self, token: &str, settings: &Settings, now: i64) -> Result<Arc<AuthContext>, Rejected> {
        match self.mode {
            Verification::Jwt => self.verify_jwt(token, settings, now).await,
            Verification::Introspection => self.introspect(token, settings, now).await,
        }
    }

    /// Also drops at once the keys `local` (the AS in this process, whose JWKS this verifier
    /// reads) stops publishing, such as a revoked one.
    #[must_use]
    pub fn following(self, local: Arc<SigningKeys>) -> Self {
        Self { jwks: self.jwks.following(local), ..self }
    }

    async fn verify_jwt(&self, token: &str, settings: &Settings, now: i64) -> Result<Arc<AuthContext>, Rejected> {
        let expect =
            Expect { issuer: &settings.issuer, audience: &settings.resource, now, leeway: settings.jwt_leeway_secs };
        let cache_key = TokenCache::key(token);
        if let Some(hit) = self.verified.get(&cache_key) {
            // Everything that can change since the signature was checked is checked again.
            if self.still_valid(&hit, &expect).await {
                return Ok(hit.ctx.clone());
            }
            // Refused or not, the full check below decides, with its own reason.
            self.verified.remove(&cache_key);
        }
        let (claims, kid, key) = self.jwks.verify_keyed(token, &expect).await?;
        if self.denylist.is_revoked(claims.gid.as_deref(), &claims.jti) {
            return Err(Rejected::Invalid("the access token has been revoked"));
        }
        let ctx = Arc::new(AuthContext {
            user_id: claims.sub,
            client_id: claims.client_id,
            scopes: ScopeSet::parse(&claims.scope).unwrap_or_default(),
        });
        let verified = Verified {
            ctx: ctx.clone(),
            kid,
            key,
            gid: claims.gid,
            jti: claims.jti,
            exp: claims.exp,
            nbf: claims.nbf,
            iat: claims.iat,
        };
        self.verified.put(cache_key, verified);
        Ok(ctx)
    }

    /// A cached verification still stands: times (with the leeway), revocation, and the key.
    async fn still_valid(&self, hit: &Verified, expect: &Expect<'_>) -> bool {
        hit.check_times(expect).is_ok()
            && !self.denylist.is_revoked(hit.gid.as_deref(), &hit.jti)
            && self.jwks.holds(&hit.kid, &hit.key, expect.now).await
    }

    /// Tokens in the verified-token cache (for tests).
    pub fn cached_tokens(&self) -> usize {
        self.verified.len()
    }

    async fn introspect(&self, token: &str, settings: &Settings, now: i64) -> Result<Arc<AuthContext>, Rejected> {
        // A revocation seen since the cache was filled may concern any of its answers.
        let generation = self.denylist.generation();
        if self.cache_generation.swap(generation, Ordering::AcqRel) != generation {
            self.introspected.clear();
        }
        if let Some(ctx) = self.introspected.get(token, now) {
            return Ok(ctx);
        }
        let resp = self
            .http
            .post(&self.introspection_url)
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
        let exp = info.exp.unwrap_or(now);
        let ctx = Arc::new(check(info, settings, now)?);
        self.introspected.put(token, &ctx, exp, now);
        Ok(ctx)
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
    Ok(AuthContext { user_id, client_id, scopes: info.scope.as_deref().and_then(ScopeSet::parse).unwrap_or_default() })
}
