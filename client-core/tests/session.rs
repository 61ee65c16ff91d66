//! Sessions against real HTTP: single-flight refresh, 401 → one refresh and one retry, a
//! refused refresh ends the session, step-up asks for the union and stops at its limit, and
//! the exchange record never holds a secret.

#![allow(clippy::unwrap_used)]

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use futures::FutureExt as _;

use client_core::authorize::CallbackParams;
use client_core::flow::{self, LoginContext};
use client_core::identity::NoStore;
use client_core::keeper::{Change, KeeperHooks};
use client_core::{CoreError, McpClient, Session, TokenKeeper};
use common::fake::{Config, Fake};
use common::{config, counter_random, Reqwest, Steps};

async fn login_with(fake: &Fake, scope_override: Option<&str>, steps: &Steps) -> Session {
    let http = Reqwest::new();
    let mut random = counter_random();
    let cfg = config();
    let ctx = LoginContext { client: &cfg, store: &NoStore, random: &mut random, observer: steps };
    let mut pending = flow::begin_login(&http, &fake.mcp_url(), ctx).await.unwrap();
    if let Some(s) = scope_override {
        pending.authorization_url = pending.authorization_url.replace("scope=user", &format!("scope={s}"));
        pending.scope = Some(s.into());
    }
    let query = fake.authorize(&pending.authorization_url).await;
    flow::complete_login(&http, &CallbackParams::from_query(&query), &pending, 0, &NoStore, steps).await.unwrap()
}

#[derive(Clone, Default)]
struct Hooks {
    now: Rc<RefCell<i64>>,
    ended: Rc<RefCell<Vec<CoreError>>>,
    renewed: Rc<RefCell<u32>>,
}

impl KeeperHooks for Hooks {
    fn now_ms(&self) -> i64 {
        *self.now.borrow()
    }
    fn changed(&self, change: Change<'_>) {
        match change {
            Change::Renewed(_) => *self.renewed.borrow_mut() += 1,
            Change::Ended { cause } => self.ended.borrow_mut().push(cause.clone()),
        }
    }
}

const RACERS: usize = 32;

#[tokio::test]
async fn concurrent_refreshes_share_one_token_request() {
    let fake = Fake::start(Config::default()).await;
    let session = login_with(&fake, None, &Steps::default()).await;
    let hooks = Hooks::default();
    let keeper = TokenKeeper::new(Rc::new(Reqwest::new()), session, hooks.clone());
    let all = futures::future::join_all((0..RACERS).map(|_| keeper.refresh())).await;
    let tokens: Vec<String> = all.into_iter().map(|r| r.unwrap().access_token).collect();
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "every caller got the same session");
    let refreshes = fake.token_requests().iter().filter(|r| r["grant_type"] == "refresh_token").count();
    assert_eq!(refreshes, 1, "one refresh for {RACERS} callers");
    assert_eq!((keeper.renewals(), *hooks.renewed.borrow()), (1, 1));
    // The refresh token rotated: the next refresh works with the new one.
    keeper.refresh().await.unwrap();
}

/// The single flight does not depend on the caller that started it: that caller polls once and
/// goes away, and the callers still waiting drive the same refresh to its end.
#[tokio::test]
async fn a_refresh_whose_starter_went_away_is_finished_by_the_other_callers() {
    let fake = Fake::start(Config::default()).await;
    let session = login_with(&fake, None, &Steps::default()).await;
    let keeper = TokenKeeper::new(Rc::new(Reqwest::new()), session, Hooks::default());
    let mut starter = Box::pin(keeper.refresh());
    assert!(starter.as_mut().now_or_never().is_none(), "the token request is under way");
    let waiters = futures::future::join_all((0..RACERS).map(|_| keeper.refresh()));
    drop(starter);
    let all = waiters.await;
    assert!(all.iter().all(Result::is_ok), "{all:?}");
    let refreshes = fake.token_requests().iter().filter(|r| r["grant_type"] == "refresh_token").count();
    assert_eq!(refreshes, 1, "the started refresh was finished, not begun again");
    assert_eq!(keeper.renewals(), 1);
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() {
    let fake = Fake::start(Config::default()).await;
    let session = login_with(&fake, None, &Steps::default()).await;
    let http = Rc::new(Reqwest::new());
    let keeper = TokenKeeper::new(http.clone(), session.clone(), Hooks::default());
    let mcp = McpClient::new(http, &session.mcp_url, &session.access_token);
    fake.expire_access_tokens();
    let tools = keeper.with_mcp(&mcp, |c| async move { c.list_tools().await }).await.unwrap();
    assert_eq!(tools[0].name, "echo");
    assert_ne!(keeper.session().access_token, session.access_token);
    // A server that keeps refusing: one refresh, one retry, then Unauthorized (no loop).
    let calls = RefCell::new(0);
    let err = keeper
        .with_mcp(&McpClient::new(Rc::new(Reqwest::new()), &session.mcp_url, ""), |c| {
            *calls.borrow_mut() += 1;
            fake.expire_access_tokens();
            async move { c.list_tools().await }
        })
        .await
        .unwrap_err();
    assert_eq!(err, CoreError::Unauthorized);
    assert_eq!(*calls.borrow(), 2);
}

#[tokio::test]
async fn a_refused_refresh_ends_the_session() {
    let fake = Fake::start(Config::default()).await;
    let mut session = login_with(&fake, None, &Steps::default()).await;
    session.refresh_token = Some("spent".into());
    let hooks = Hooks::default();
    let keeper = TokenKeeper::new(Rc::new(Reqwest::new()), session, hooks.clone());
    assert_eq!(keeper.refresh().await.unwrap_err(), CoreError::Unauthorized);
    assert_eq!(hooks.ended.borrow()[0].oauth_code(), Some("invalid_grant"));
    assert!(keeper.session().refresh_token.is_none());
    assert!(matches!(keeper.refresh().await.unwrap_err(), CoreError::CannotRefresh(_)));
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_the_call() {
    let fake = Fake::start(Config { expires_in: 20, ..Config::default() }).await;
    let session = login_with(&fake, None, &Steps::default()).await;
    let hooks = Hooks::default();
    let http = Rc::new(Reqwest::new());
    let keeper = TokenKeeper::new(http.clone(), session.clone(), hooks.clone());
    let mcp = McpClient::new(http, &session.mcp_url, "");
    keeper.with_mcp(&mcp, |c| async move { c.list_tools().await }).await.unwrap();
    assert_eq!(keeper.renewals(), 0, "20 s left, half-life margin is 10 s");
    *hooks.now.borrow_mut() = 11_000;
    keeper.with_mcp(&mcp, |c| async move { c.list_tools().await }).await.unwrap();
    assert_eq!(keeper.renewals(), 1);
}

#[tokio::test]
async fn step_up_asks_for_the_union_once_then_gives_up() {
    let fake = Fake::start(Config { tool_scope: Some("user:write".into()), ..Config::default() }).await;
    let session = login_with(&fake, None, &Steps::default()).await;
    let http = Rc::new(Reqwest::new());
    let keeper = TokenKeeper::new(http.clone(), session.clone(), Hooks::default());
    let mcp = McpClient::new(http, &session.mcp_url, "");
    let asked = RefCell::new(Vec::new());
    let out = keeper
        .with_step_up(
            &mcp,
            |c| async move { c.call_tool("echo", serde_json::json!({})).await },
            |union| {
                asked.borrow_mut().push(union.to_string());
                let fake = fake.clone();
                async move { Ok(login_with(&fake, Some("user user:write"), &Steps::default()).await) }
            },
        )
        .await
        .unwrap();
    assert_eq!(out, "scope user user:write");
    assert_eq!(*asked.borrow(), ["user user:write"], "granted ∪ challenged");

    // A server that refuses whatever is granted: one step-up, then the error, no loop.
    let fake = Fake::start(Config { tool_scope: Some("admin".into()), ..Config::default() }).await;
    let session = login_with(&fake, None, &Steps::default()).await;
    let keeper = TokenKeeper::new(Rc::new(Reqwest::new()), session.clone(), Hooks::default());
    let mcp = McpClient::new(Rc::new(Reqwest::new()), &session.mcp_url, "");
    let logins = RefCell::new(0);
    let err = keeper
        .with_step_up(
            &mcp,
            |c| async move { c.call_tool("echo", serde_json::json!({})).await },
            |_| {
                *logins.borrow_mut() += 1;
                let fake = fake.clone();
                async move { Ok(login_with(&fake, None, &Steps::default()).await) }
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CoreError::StepUpExhausted { .. }), "{err}");
    assert_eq!(*logins.borrow(), 1);
}

#[tokio::test]
async fn the_exchange_record_holds_every_request_but_no_secret() {
    let fake = Fake::start(Config { issue_secret: true, ..Config::default() }).await;
    let steps = Steps::default();
    let session = login_with(&fake, None, &steps).await;
    let exchanges: Vec<_> = steps.0.borrow().iter().flat_map(|s| s.exchanges.clone()).collect();
    let record = serde_json::to_string(&exchanges).unwrap();
    for needle in ["POST /mcp", "/.well-known/oauth-protected-resource", "/register", "/token"] {
        let found =
            exchanges.iter().any(|e| format!("{} {}", e.method, e.url).contains(needle.trim_start_matches("POST ")));
        assert!(found, "{needle} missing from the record");
    }
    assert!(record.contains("www-authenticate"));
    let secret = session.credentials.client_secret.clone().unwrap();
    let refresh = session.refresh_token.clone().unwrap();
    for secret in
        [&session.access_token, &refresh, &secret, "code-", &session.credentials.client_id.replace("client", "secret")]
    {
        assert!(!record.contains(secret), "{secret} leaked into the record: {record}");
    }
    assert!(record.contains("[redacted]"));
}

#[tokio::test]
async fn whole_results_follow_every_page_and_keep_what_the_server_said() {
    let fake = Fake::start(Config::default()).await;
    let session = login_with(&fake, None, &Steps::default()).await;
    let mcp = McpClient::new(Rc::new(Reqwest::new()), &session.mcp_url, &session.access_token);
    let tools = mcp.list_all("tools/list", "tools").await.unwrap();
    let names: Vec<_> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["echo", "reverse"], "both pages, in order");
    assert_eq!(mcp.list_tools().await.unwrap().len(), 1, "the plain list is one page");
    let result = mcp.call("tools/call", serde_json::json!({"name": "echo", "arguments": {}})).await.unwrap();
    assert_eq!(result["content"][0]["type"], "text", "{result}");
    let read = mcp.call("resources/read", serde_json::json!({"uri": "user://profile"})).await.unwrap();
    assert_eq!(read["contents"][0]["uri"], "user://profile");
    let prompt = mcp.call("prompts/get", serde_json::json!({"name": "greet", "arguments": {}})).await.unwrap();
    assert_eq!(prompt["messages"][0]["role"], "user");
}
