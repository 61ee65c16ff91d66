//! Steps 1–5 of the flow, from the home page up to the redirect: the unauthenticated MCP request,
//! protected resource metadata (RFC 9728), authorization server metadata (RFC 8414), dynamic
//! registration (RFC 7591, asking for the `authorization_code` and `refresh_token` grants) and the
//! authorization request with PKCE S256. Each step checks what the protocol requires before the
//! next one starts; the first failure stops the flow. Every URL learned on the way (the
//! challenge's `resource_metadata`, each URL in both metadata documents) must pass
//! `shared::urls::validate_network_url` as it is parsed, so no `javascript:` or `data:` URL, nor
//! plain http to another host, ever reaches `fetch` or `location.assign`.
//!
//! Registration happens once per authorization server and redirect URI: a registration that
//! already led to a successful login is kept in `localStorage` (see `crate::storage`) and reused,
//! so the server recognises the client and the consent the user gave it. A stored registration
//! that no longer fits (another registration endpoint, a wider scope) is dropped and replaced.
//! The registration names every scope the resource supports, while the authorization request
//! asks only for the challenged one; `flow::step_up` asks for more later with the same client.

use shared::challenge::BearerChallenge;
use shared::oauth::{AuthorizationServerMetadata, ClientRegistrationRequest, ProtectedResourceMetadata};
use shared::scopes::ScopeSet;
use shared::urls::NetworkUrls;
use shared::{pkce, scopes, urls};
use url::Url;

use super::ids::{AS_METADATA, AUTHORIZE_REDIRECT, PRM, REGISTER, UNAUTHENTICATED_REQUEST};
use super::Timeline;
use crate::api;
use crate::browser;
use crate::error::ClientError;
use crate::storage::{self, PendingFlow, StoredRegistration};

pub const CLIENT_NAME: &str = "MCP Auth Browser Client";

/// What the 401 told us.
struct Challenge {
    metadata_url: String,
    scope: Option<String>,
}

/// Runs discovery and registration, then leaves the page for the authorization endpoint.
pub async fn connect(input: &str, t: Timeline) -> Result<(), ClientError> {
    t.clear();
    let mcp = parse_mcp_url(input, t)?;
    let challenge = unauthenticated_request(&mcp, t).await?;
    let prm = protected_resource_metadata(&mcp, &challenge.metadata_url, t).await?;
    let issuer = prm.authorization_servers.first().cloned().unwrap_or_default();
    let asm = authorization_server_metadata(&issuer, t).await?;
    let scope = challenge
        .scope
        .filter(|s| !s.trim().is_empty())
        .or_else(|| (!prm.scopes_supported.is_empty()).then(|| prm.scopes_supported.join(" ")))
        .unwrap_or_else(|| scopes::USER.to_owned());
    let redirect_uri = format!("{}{}", browser::origin()?, urls::SPA_CALLBACK);
    // Register for every scope the resource offers, so that a later step-up may ask for more;
    // the authorization request itself asks only for what the challenge named (least privilege).
    let mut registered_scope = ScopeSet::parse(&scope).unwrap_or_default();
    registered_scope.extend_names(&prm.scopes_supported.iter().map(String::as_str).collect::<Vec<_>>());
    let registration = register(&asm, &redirect_uri, &registered_scope.to_string(), t).await?;
    let pending = PendingFlow {
        state: String::new(),
        verifier: String::new(),
        client_id: registration.client_id.clone(),
        issuer: asm.issuer.clone(),
        token_endpoint: asm.token_endpoint.clone(),
        revocation_endpoint: asm.revocation_endpoint.clone(),
        resource: prm.resource.clone(),
        mcp_url: mcp.to_string(),
        redirect_uri,
        scope,
        iss_required: asm.authorization_response_iss_parameter_supported,
        timeline: Vec::new(),
        registration: Some(registration),
    };
    authorize_redirect(&asm, pending, t)
}

/// The MCP server's URL, held to the rule for every URL the client sends tokens to: it may come
/// from a link (`/?mcp=`), not only from the user's typing.
fn parse_mcp_url(input: &str, t: Timeline) -> Result<Url, ClientError> {
    urls::validate_network_url(input.trim()).map_err(|reason| {
        let e = ClientError::message(format!(
            "\"{input}\" cannot be the MCP server's URL: {reason}. Enter the MCP server's URL."
        ));
        t.start(UNAUTHENTICATED_REQUEST, TITLE_UNAUTH, String::new());
        t.fail(UNAUTHENTICATED_REQUEST, e.to_string());
        e
    })
}

const TITLE_UNAUTH: &str = "Call the MCP server without a token";

async fn unauthenticated_request(mcp: &Url, t: Timeline) -> Result<Challenge, ClientError> {
    let pending = format!("POST {mcp} (initialize) without an Authorization header…");
    t.step(UNAUTHENTICATED_REQUEST, TITLE_UNAUTH, pending, async {
        let probe = api::mcp::probe(mcp.as_str()).await?;
        if probe.status != 401 {
            return Err(ClientError::Status {
                target: "the MCP server",
                method: "POST",
                url: mcp.to_string(),
                expected: "401",
                got: probe.status,
                detail: Some("a protected MCP server must refuse requests without a token".into()),
            });
        }
        let parsed = probe.www_authenticate.as_deref().and_then(BearerChallenge::parse);
        if let Some(refused) = parsed.as_ref().and_then(|c| c.check_network_urls().err()) {
            return Err(ClientError::Invalid {
                target: "the MCP server's WWW-Authenticate challenge",
                url: mcp.to_string(),
                reason: refused.to_string(),
            });
        }
        let (header, metadata_url, scope) = match (&probe.www_authenticate, parsed) {
            (Some(raw), Some(c)) => (
                format!("WWW-Authenticate: {raw}"),
                c.resource_metadata.unwrap_or_else(|| urls::protected_resource_metadata_url(mcp)),
                c.scope,
            ),
            (Some(raw), None) => (
                format!("WWW-Authenticate has no Bearer challenge ({raw}); using the well-known URL"),
                urls::protected_resource_metadata_url(mcp),
                None,
            ),
            (None, _) => (
                "no WWW-Authenticate header was visible; using the well-known URL".to_owned(),
                urls::protected_resource_metadata_url(mcp),
                None,
            ),
        };
        let scope_text = scope.as_deref().map(|s| format!(" Required scope: \"{s}\".")).unwrap_or_default();
        let detail = format!(
            "POST {mcp} without a token → {}. {header}. Protected resource metadata: {metadata_url}.{scope_text}",
            probe.status_line
        );
        Ok((Challenge { metadata_url, scope }, detail))
    })
    .await
}

async fn protected_resource_metadata(
    mcp: &Url,
    url: &str,
    t: Timeline,
) -> Result<ProtectedResourceMetadata, ClientError> {
    let title = "Read the protected resource metadata (RFC 9728)";
    t.step(PRM, title, format!("GET {url}…"), async {
        let target = "the protected resource metadata";
        let got = api::oauth::get_json::<ProtectedResourceMetadata>(target, url).await?;
        let prm = got.value;
        let invalid = |reason: String| ClientError::Invalid { target, url: url.to_owned(), reason };
        // RFC 9728 §3.3: the metadata must describe the resource we asked about.
        let ours = urls::canonical_resource(mcp.as_str()).unwrap_or_else(|_| mcp.to_string());
        let theirs = urls::canonical_resource(&prm.resource).unwrap_or_else(|_| prm.resource.clone());
        if ours != theirs {
            return Err(invalid(format!(
                "it describes the resource {}, not the MCP server {mcp} you connected to (RFC 9728 §3.3)",
                prm.resource
            )));
        }
        let Some(issuer) = prm.authorization_servers.first() else {
            return Err(invalid("authorization_servers is empty, so there is nowhere to log in".into()));
        };
        let detail = format!(
            "GET {url} → {}. Resource: {}. Authorization server: {issuer}. Scopes supported: {}.",
            got.status,
            prm.resource,
            if prm.scopes_supported.is_empty() { "(none listed)".to_owned() } else { prm.scopes_supported.join(" ") }
        );
        Ok((prm, detail))
    })
    .await
}

pub(super) async fn authorization_server_metadata(
    issuer: &str,
    t: Timeline,
) -> Result<AuthorizationServerMetadata, ClientError> {
    let title = "Read the authorization server metadata (RFC 8414)";
    let issuer_url = Url::parse(issuer).map_err(|e| {
        let err = ClientError::message(format!("The authorization server \"{issuer}\" is not a valid URL ({e})."));
        t.start(AS_METADATA, title, String::new());
        t.fail(AS_METADATA, err.to_string());
        err
    })?;
    let primary = urls::authorization_server_metadata_url(&issuer_url);
    t.step(AS_METADATA, title, format!("GET {primary}…"), async {
        let target = "the authorization server metadata";
        let (got, url) = match api::oauth::get_json::<AuthorizationServerMetadata>(target, &primary).await {
            Ok(got) => (got, primary.clone()),
            Err(first) => {
                let oidc = format!("{}{}", issuer.trim_end_matches('/'), urls::OPENID_CONFIGURATION);
                match api::oauth::get_json::<AuthorizationServerMetadata>(target, &oidc).await {
                    Ok(got) => (got, oidc),
                    Err(_) => return Err(first),
                }
            }
        };
        let asm = got.value;
        let invalid = |reason: String| ClientError::Invalid { target, url: url.clone(), reason };
        if asm.issuer != issuer {
            return Err(invalid(format!(
                "its issuer is \"{}\" but the resource named \"{issuer}\"; they must be identical (RFC 8414 §3.3)",
                asm.issuer
            )));
        }
        if !asm.code_challenge_methods_supported.iter().any(|m| m == pkce::METHOD_S256) {
            return Err(invalid(
                "it does not list S256 in code_challenge_methods_supported, so PKCE is not available".into(),
            ));
        }
        if asm.registration_endpoint.is_none() {
            return Err(invalid("it has no registration_endpoint, so this app cannot register itself".into()));
        }
        let detail = format!(
            "GET {url} → {}. Issuer {} matches exactly; PKCE S256 is supported. Authorization endpoint: {}. Token \
             endpoint: {}.",
            got.status, asm.issuer, asm.authorization_endpoint, asm.token_endpoint
        );
        Ok((asm, detail))
    })
    .await
}

const TITLE_REGISTER: &str = "Register this app as an OAuth client (RFC 7591)";

/// Reuses the registration stored for this server and redirect URI, or registers anew; `scope`
/// is every scope the client may later ask for.
pub(super) async fn register(
    asm: &AuthorizationServerMetadata,
    redirect_uri: &str,
    scope: &str,
    t: Timeline,
) -> Result<StoredRegistration, ClientError> {
    let endpoint = asm.registration_endpoint.clone().unwrap_or_default();
    if let Some(stored) = stored_registration(asm, &endpoint, redirect_uri, scope) {
        let issued = stored
            .issued_at
            .and_then(|secs| {
                #[allow(clippy::cast_precision_loss)] // seconds since the epoch; f64 holds them exactly
                let ms = secs as f64 * 1000.0;
                js_sys::Date::new(&ms.into()).to_iso_string().as_string()
            })
            .map(|at| format!(" (registered {at})"))
            .unwrap_or_default();
        t.start(REGISTER, TITLE_REGISTER, String::new());
        t.ok(
            REGISTER,
            format!(
                "Reused the stored client registration from an earlier login in this browser, without a new POST \
                 {endpoint}: client_id {}{issued}, redirect URI {redirect_uri}, grant types {}. If you already \
                 allowed this app, the authorization server will not ask again.",
                stored.client_id,
                stored.grant_types.join(", ")
            ),
        );
        return Ok(stored);
    }
    t.step(REGISTER, TITLE_REGISTER, format!("POST {endpoint}…"), async {
        let request = ClientRegistrationRequest {
            redirect_uris: vec![redirect_uri.to_owned()],
            client_name: Some(CLIENT_NAME.to_owned()),
            // refresh_token: the console renews its access token instead of asking you to log in again.
            grant_types: Some(vec![
                shared::oauth::GRANT_AUTHORIZATION_CODE.to_owned(),
                shared::oauth::GRANT_REFRESH_TOKEN.to_owned(),
            ]),
            response_types: Some(vec![shared::oauth::RESPONSE_TYPE_CODE.to_owned()]),
            token_endpoint_auth_method: Some(shared::oauth::AUTH_METHOD_NONE.to_owned()),
            scope: Some(scope.to_owned()),
            ..ClientRegistrationRequest::default()
        };
        let got = api::oauth::register(&endpoint, &request).await?;
        let registered = got.value;
        let detail = format!(
            "POST {endpoint} → {}. Registered as a public client (no secret) with redirect URI {redirect_uri} and \
             grant types {}. client_id: {}. The registration is kept in this browser after the login succeeds, so \
             the next Connect reuses it.",
            got.status,
            registered.grant_types.join(", "),
            registered.client_id
        );
        let stored = StoredRegistration {
            issuer: asm.issuer.clone(),
            registration_endpoint: endpoint.clone(),
            redirect_uri: redirect_uri.to_owned(),
            client_id: registered.client_id,
            grant_types: registered.grant_types,
            scope: registered.scope.or_else(|| Some(scope.to_owned())),
            issued_at: registered.client_id_issued_at.filter(|&at| at > 0),
        };
        Ok((stored, detail))
    })
    .await
}

/// The stored registration for this server and redirect URI, when it still fits this request;
/// one that does not is forgotten (a new registration replaces it after the next login).
fn stored_registration(
    asm: &AuthorizationServerMetadata,
    endpoint: &str,
    redirect_uri: &str,
    scope: &str,
) -> Option<StoredRegistration> {
    let stored = storage::load_registration(&asm.issuer, redirect_uri)?;
    let scope_fits = match (stored.scope.as_deref().and_then(ScopeSet::parse), ScopeSet::parse(scope)) {
        (Some(registered), Some(asked)) => asked.is_subset_of(&registered),
        (None, _) => true,
        (Some(_), None) => false,
    };
    let fits = stored.issuer == asm.issuer
        && stored.redirect_uri == redirect_uri
        && stored.registration_endpoint == endpoint
        && !stored.client_id.is_empty()
        && stored.grant_types.iter().any(|g| g == shared::oauth::GRANT_AUTHORIZATION_CODE)
        && scope_fits;
    if !fits {
        storage::forget_registration(&asm.issuer, redirect_uri);
    }
    fits.then_some(stored)
}

/// Makes the PKCE pair and `state`, saves the pending flow, and leaves for `/authorize`.
pub(super) fn authorize_redirect(
    asm: &AuthorizationServerMetadata,
    mut pending: PendingFlow,
    t: Timeline,
) -> Result<(), ClientError> {
    let title = "Send you to the authorization server to log in (PKCE S256)";
    t.start(AUTHORIZE_REDIRECT, title, "Preparing the authorization request…");
    let result = (|| {
        pending.verifier = pkce::verifier_from_bytes(&browser::random_bytes()?);
        pending.state = pkce::verifier_from_bytes(&browser::random_bytes()?);
        let challenge = pkce::challenge_s256(&pending.verifier);
        let mut url = Url::parse(&asm.authorization_endpoint).map_err(|e| {
            ClientError::message(format!(
                "The authorization endpoint \"{}\" is not a valid URL ({e}).",
                asm.authorization_endpoint
            ))
        })?;
        url.query_pairs_mut()
            .append_pair("response_type", shared::oauth::RESPONSE_TYPE_CODE)
            .append_pair("client_id", &pending.client_id)
            .append_pair("redirect_uri", &pending.redirect_uri)
            .append_pair("scope", &pending.scope)
            .append_pair("state", &pending.state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", pkce::METHOD_S256)
            .append_pair("resource", &pending.resource);
        Ok::<_, ClientError>(url.to_string())
    })();
    let url = result.inspect_err(|e| t.fail(AUTHORIZE_REDIRECT, e.to_string()))?;
    t.ok(
        AUTHORIZE_REDIRECT,
        format!(
            "Saved state and the PKCE verifier in sessionStorage, then redirecting the browser to {url} (scope \"{}\", \
             resource {}).",
            pending.scope, pending.resource
        ),
    );
    pending.timeline = t.snapshot();
    let go = storage::save_pending(&pending).and_then(|()| browser::redirect(&url));
    go.inspect_err(|e| t.fail(AUTHORIZE_REDIRECT, e.to_string()))
}
