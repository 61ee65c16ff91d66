//! The core against real HTTP: a fake MCP server + AS on 127.0.0.1:0 (tests/common/fake.rs)
//! that checks what the client sends. One test per promise of the core.

#![allow(clippy::unwrap_used)]

mod common;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use client_core::authorize::CallbackParams;
use client_core::flow::{self, LoginContext, Step, StepStatus};
use client_core::identity::{ClientConfig, CredentialSource, CredentialStore, Credentials, PreRegistered};
use client_core::{CoreError, Session};
use common::fake::{Config, Fake, Iss};
use common::{config, counter_random, Reqwest, Steps};

#[derive(Default)]
struct MemStore(RefCell<HashMap<String, Credentials>>);

impl CredentialStore for MemStore {
    fn load(&self, issuer: &str) -> Option<Credentials> {
        self.0.borrow().get(issuer).cloned()
    }
    fn save(&self, c: &Credentials) {
        self.0.borrow_mut().insert(c.issuer.clone(), c.clone());
    }
    fn forget(&self, issuer: &str, client_id: &str) {
        let mut m = self.0.borrow_mut();
        if m.get(issuer).is_some_and(|c| c.client_id == client_id) {
            m.remove(issuer);
        }
    }
}

impl Steps {
    fn last(&self, id: &str) -> Step {
        self.0.borrow().iter().rev().find(|s| s.id == id).cloned().unwrap()
    }
}

/// begin → follow the authorization URL → complete.
async fn login(fake: &Fake, client: &ClientConfig, store: &MemStore, steps: &Steps) -> Result<Session, CoreError> {
    let http = Reqwest::new();
    let mut random = counter_random();
    let ctx = LoginContext { client, store, random: &mut random, observer: steps };
    let pending = flow::begin_login(&http, &fake.mcp_url(), ctx).await?;
    let query = fake.authorize(&pending.authorization_url).await;
    flow::complete_login(&http, &CallbackParams::from_query(&query), &pending, 1_000, store, steps).await
}

#[tokio::test]
async fn full_login_sends_pkce_and_resource_and_mcp_calls_work() {
    let fake = Fake::start(Config::default()).await;
    let (store, steps) = (MemStore::default(), Steps::default());
    let session = login(&fake, &config(), &store, &steps).await.unwrap();
    assert_eq!(session.scope.as_deref(), Some("user"), "the challenge's scope is asked for");
    assert_eq!(session.expires_at, 1_000 + 3_600_000, "milliseconds");
    let token = &fake.token_requests()[0];
    assert_eq!(token["resource"], fake.mcp_url());
    assert!(token.contains_key("code_verifier"));
    for id in ["unauthenticated-request", "prm", "as-metadata", "register", "authorize-redirect", "callback", "token"] {
        assert_eq!(steps.last(id).status, StepStatus::Ok, "{id}: {}", steps.last(id).detail);
    }
    assert_eq!(store.load(&fake.issuer()).unwrap().source, CredentialSource::Dynamic, "kept for reuse");

    let http = Rc::new(Reqwest::new());
    let mcp = client_core::McpClient::new(http, &session.mcp_url, &session.access_token);
    let info = mcp.initialize().await.unwrap();
    assert_eq!(info.session_id.as_deref(), Some("s-1"));
    assert_eq!(mcp.list_tools().await.unwrap()[0].name, "echo");
    assert_eq!(mcp.call_tool("echo", serde_json::json!({})).await.unwrap(), "scope user");
    assert_eq!(mcp.list_resources().await.unwrap()[0].name, "user://profile");
    assert!(mcp.read_resource("user://profile").await.unwrap().contains("alice"));
    assert_eq!(mcp.list_prompts().await.unwrap()[0].name, "greet");
    assert!(mcp.get_prompt("greet", serde_json::json!({})).await.unwrap().contains("hi"));
}

#[tokio::test]
async fn prm_falls_back_to_the_root_and_a_path_issuer_is_found_by_openid_discovery() {
    let fake = Fake::start(Config {
        prm_in_challenge: false,
        prm_path_aware: false,
        issuer_path: "/tenant".into(),
        asm_paths: vec!["/tenant/.well-known/openid-configuration".into()],
        ..Config::default()
    })
    .await;
    login(&fake, &config(), &MemStore::default(), &Steps::default()).await.unwrap();
    let gets: Vec<String> = fake
        .log()
        .into_iter()
        .filter(|l| l.starts_with("GET /.well-known") || l.starts_with("GET /tenant/.well-known"))
        .collect();
    assert_eq!(
        gets,
        [
            "GET /.well-known/oauth-protected-resource/mcp",
            "GET /.well-known/oauth-protected-resource",
            "GET /.well-known/oauth-authorization-server/tenant",
            "GET /.well-known/openid-configuration/tenant",
            "GET /tenant/.well-known/openid-configuration",
        ]
    );
}

#[tokio::test]
async fn metadata_whose_issuer_differs_is_refused_before_any_endpoint_is_used() {
    let fake =
        Fake::start(Config { claimed_issuer: Some("https://attacker.example.com".into()), ..Config::default() }).await;
    let steps = Steps::default();
    let err = login(&fake, &config(), &MemStore::default(), &steps).await.unwrap_err();
    assert!(matches!(err, CoreError::IssuerMismatch { .. }), "{err}");
    assert_eq!(steps.last("as-metadata").status, StepStatus::Error);
    assert!(!fake.log().iter().any(|l| l.contains("/register") || l.contains("/authorize") || l.contains("/token")));
}

#[tokio::test]
async fn iss_rules_stop_the_flow_before_the_token_request() {
    for (advertised, iss, ok) in [
        (true, Iss::Correct, true),
        (false, Iss::Omit, true),
        (true, Iss::Omit, false),
        (true, Iss::Wrong, false),
        (false, Iss::Wrong, false),
        (true, Iss::TrailingSlash, false),
    ] {
        let fake = Fake::start(Config { iss_advertised: advertised, iss, ..Config::default() }).await;
        let result = login(&fake, &config(), &MemStore::default(), &Steps::default()).await;
        assert_eq!(result.is_ok(), ok, "advertised {advertised}, {iss:?}: {result:?}");
        assert_eq!(fake.token_requests().is_empty(), !ok, "advertised {advertised}, {iss:?}");
    }
}

#[tokio::test]
async fn a_forged_state_is_refused_and_nothing_is_sent() {
    let fake = Fake::start(Config::default()).await;
    let http = Reqwest::new();
    let (store, steps) = (MemStore::default(), Steps::default());
    let mut random = counter_random();
    let cfg = config();
    let ctx = LoginContext { client: &cfg, store: &store, random: &mut random, observer: &steps };
    let pending = flow::begin_login(&http, &fake.mcp_url(), ctx).await.unwrap();
    let query = fake.authorize(&pending.authorization_url).await.replace("state=", "state=x");
    let err = flow::complete_login(&http, &CallbackParams::from_query(&query), &pending, 0, &store, &steps).await;
    assert_eq!(err.unwrap_err(), CoreError::StateMismatch);
    assert!(fake.token_requests().is_empty());
    let denied = CallbackParams {
        state: Some(pending.state.clone()),
        error: Some("access_denied".into()),
        ..CallbackParams::default()
    };
    let err = flow::complete_login(&http, &denied, &pending, 0, &store, &steps).await.unwrap_err();
    assert!(matches!(err, CoreError::AccessDenied { .. }));
}

#[tokio::test]
async fn cimd_is_used_when_the_as_supports_it_and_dcr_otherwise() {
    let cimd_url = "https://client.example/metadata.json";
    let cfg = ClientConfig { metadata_document_url: Some(cimd_url.into()), ..config() };
    let fake = Fake::start(Config { cimd: true, ..Config::default() }).await;
    let http = Reqwest::new();
    let mut random = counter_random();
    let (store, steps) = (MemStore::default(), Steps::default());
    let ctx = LoginContext { client: &cfg, store: &store, random: &mut random, observer: &steps };
    let pending = flow::begin_login(&http, &fake.mcp_url(), ctx).await.unwrap();
    assert_eq!(pending.credentials.client_id, cimd_url);
    assert!(pending.authorization_url.contains("client_id=https%3A%2F%2Fclient.example%2Fmetadata.json"));
    assert!(fake.state.lock().unwrap().registrations.is_empty(), "no DCR when CIMD is supported");

    let fake = Fake::start(Config { cimd: false, ..Config::default() }).await;
    let session = login(&fake, &cfg, &store, &steps).await.unwrap();
    assert_eq!(session.credentials.source, CredentialSource::Dynamic);
    assert_eq!(fake.state.lock().unwrap().registrations.len(), 1);
}

#[tokio::test]
async fn token_endpoint_auth_follows_the_registration() {
    // Pre-registered with a secret: client_secret_basic by default, client_secret_post on request.
    for (wanted, basic) in [(None, true), (Some("client_secret_post"), false)] {
        let fake = Fake::start(Config::default()).await;
        fake.add_client_secret("pre", "s3cret/+");
        let pre = PreRegistered {
            client_id: "pre".into(),
            client_secret: Some("s3cret/+".into()),
            token_endpoint_auth_method: wanted.map(Into::into),
        };
        let cfg = ClientConfig { pre_registered: Some(pre), ..config() };
        let session = login(&fake, &cfg, &MemStore::default(), &Steps::default()).await.unwrap();
        let req = &fake.token_requests()[0];
        assert_eq!(req.contains_key("authorization"), basic, "{wanted:?}");
        assert_eq!(req.get("client_secret").is_some(), !basic, "{wanted:?}");
        assert_eq!(session.credentials.source, CredentialSource::PreRegistered);
        assert!(fake.state.lock().unwrap().registrations.is_empty(), "no DCR for a pre-registered client");
    }
    // DCR answered with a secret: the client uses it.
    let fake = Fake::start(Config { issue_secret: true, ..Config::default() }).await;
    login(&fake, &config(), &MemStore::default(), &Steps::default()).await.unwrap();
    assert!(fake.token_requests()[0].contains_key("client_secret"));
}

#[tokio::test]
async fn a_stored_registration_is_reused_but_never_at_another_authorization_server() {
    let fake = Fake::start(Config::default()).await;
    let store = MemStore::default();
    login(&fake, &config(), &store, &Steps::default()).await.unwrap();
    let steps = Steps::default();
    login(&fake, &config(), &store, &steps).await.unwrap();
    assert_eq!(fake.state.lock().unwrap().registrations.len(), 1, "the second login reuses the client");
    assert!(steps.last("register").detail.contains("Reused the stored client registration"));

    // The same RS now names another AS: a new registration there, the old client_id never sent.
    let other = Fake::start(Config::default()).await;
    let moved = Fake::start(Config { other_as: Some(other.issuer()), ..Config::default() }).await;
    let old_id = store.load(&fake.issuer()).unwrap().client_id;
    let http = Reqwest::new();
    let mut random = counter_random();
    let cfg = config();
    let ctx = LoginContext { client: &cfg, store: &store, random: &mut random, observer: &steps };
    let pending = flow::begin_login(&http, &moved.mcp_url(), ctx).await.unwrap();
    assert_eq!(pending.issuer, other.issuer());
    assert_ne!(pending.credentials.client_id, old_id);
    assert!(!pending.authorization_url.contains(&old_id));
    assert_eq!(other.state.lock().unwrap().registrations.len(), 1);
}

#[tokio::test]
async fn offline_access_is_asked_for_only_when_the_as_lists_it() {
    let fake =
        Fake::start(Config { as_scopes: vec!["user".into(), "offline_access".into()], ..Config::default() }).await;
    let session = login(&fake, &config(), &MemStore::default(), &Steps::default()).await.unwrap();
    assert_eq!(session.scope.as_deref(), Some("offline_access user"));
    let fake = Fake::start(Config::default()).await;
    let session = login(&fake, &config(), &MemStore::default(), &Steps::default()).await.unwrap();
    assert_eq!(session.scope.as_deref(), Some("user"));
}

#[tokio::test]
async fn scope_is_omitted_when_nothing_names_one() {
    let fake =
        Fake::start(Config { challenge_scope: None, prm_scopes: vec![], as_scopes: vec![], ..Config::default() }).await;
    let http = Reqwest::new();
    let mut random = counter_random();
    let (store, steps, cfg) = (MemStore::default(), Steps::default(), config());
    let ctx = LoginContext { client: &cfg, store: &store, random: &mut random, observer: &steps };
    let pending = flow::begin_login(&http, &fake.mcp_url(), ctx).await.unwrap();
    assert!(!pending.authorization_url.contains("scope="), "{}", pending.authorization_url);
}

#[tokio::test]
async fn a_prm_for_another_resource_or_no_metadata_stops_before_authorization() {
    let fake =
        Fake::start(Config { prm_resource: Some("https://evil.example.com/mcp".into()), ..Config::default() }).await;
    let steps = Steps::default();
    let err = login(&fake, &config(), &MemStore::default(), &steps).await.unwrap_err();
    assert!(err.to_string().contains("https://evil.example.com/mcp"), "{err}");
    assert_eq!(steps.last("prm").status, StepStatus::Error);
    assert!(!fake.log().iter().any(|l| l.contains("authorization-server") || l.contains("/authorize")));

    let fake = Fake::start(Config { asm_paths: vec!["/nowhere".into()], ..Config::default() }).await;
    let err = login(&fake, &config(), &MemStore::default(), &Steps::default()).await.unwrap_err();
    assert!(matches!(err, CoreError::NoMetadata { ref tried, .. } if tried.len() == 2), "{err}");
}

/// The login's one driver reports each step pending, then once ok, in flow order; a failure
/// ends the step under way and nothing after it is reported.
#[tokio::test]
async fn every_step_is_reported_once_in_order_and_a_failure_ends_the_step_under_way() {
    let seen = |steps: &Steps| steps.0.borrow().iter().map(|s| (s.id.clone(), s.status)).collect::<Vec<_>>();
    let expect = |ids: &[&str], last: StepStatus| {
        let mut out = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            out.push(((*id).to_owned(), StepStatus::Pending));
            out.push(((*id).to_owned(), if i + 1 == ids.len() { last } else { StepStatus::Ok }));
        }
        out
    };
    let fake = Fake::start(Config::default()).await;
    let steps = Steps::default();
    login(&fake, &config(), &MemStore::default(), &steps).await.unwrap();
    let all = ["unauthenticated-request", "prm", "as-metadata", "register", "authorize-redirect", "callback", "token"];
    assert_eq!(seen(&steps), expect(&all, StepStatus::Ok));

    let fake =
        Fake::start(Config { claimed_issuer: Some("https://attacker.example.com".into()), ..Config::default() }).await;
    let steps = Steps::default();
    login(&fake, &config(), &MemStore::default(), &steps).await.unwrap_err();
    assert_eq!(seen(&steps), expect(&all[..3], StepStatus::Error));
}
