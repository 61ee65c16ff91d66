//! `/console`: uses the stored session to open an MCP session (`initialize`, then
//! `notifications/initialized`), shows who is logged in, the tools and resources, and runs
//! `get_user_data` and the two resource reads on request. Every MCP operation goes through the
//! [`TokenKeeper`], which renews the access token with the refresh token before it expires, or
//! once after a 401, so the console outlives its access tokens; "Refresh token now" renews on
//! demand. A 401 that cannot be cured that way, or a refused refresh, ends the session here (the
//! record is removed) and asks the user to log in again. The profile form runs `update_profile`;
//! a 403 `insufficient_scope` there starts a step-up login (`flow::step_up`) and the refused call
//! is retried once when the console opens again. Logout ends the MCP session with
//! `DELETE`, revokes the refresh token (RFC 7009; this ends the whole grant) or, without one, the
//! access token, when the server offers revocation, and forgets every record.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use serde_json::{json, Value};
use shared::mcp::{RESOURCE_PROFILE, RESOURCE_STATS, TOOL_GET_USER_DATA, TOOL_UPDATE_PROFILE};

use client_core::mcp::{Item, ServerInfo};
use client_core::token::{self, TokenKind};

use crate::browser;
use crate::components::{ErrorBanner, FlowTimeline, ItemList, LoginRequired, ProfileForm, ResultPanel, SessionCard};
use crate::error::ClientError;
use crate::flow::ids::RETRY;
use crate::flow::refresh::TokenKeeper;
use crate::flow::{step_up, Timeline};
use crate::http::{mcp_client, Fetch, McpClient};
use crate::storage::{self, PendingCall, Session};

type Local<T> = StoredValue<T, LocalStorage>;

#[component]
pub fn ConsolePage() -> impl IntoView {
    let stored = storage::load_session().ok().flatten();
    match stored {
        // An expired access token is fine while a refresh token can renew it.
        Some(session) if session.is_usable(browser::now_ms()) => view! { <Console session /> }.into_any(),
        other => {
            storage::clear_session();
            let mcp_url = other.map(|s| s.tokens.mcp_url).or_else(|| use_query_map().get_untracked().get("mcp"));
            view! { <LoginRequired reason=None mcp_url /> }.into_any()
        }
    }
}

/// What the console shows once the MCP session is up.
#[derive(Clone, Debug)]
struct Overview {
    info: ServerInfo,
    whoami: String,
    tools: Vec<Item>,
    resources: Vec<Item>,
}

async fn load_overview(keeper: &TokenKeeper, client: &McpClient) -> Result<Overview, ClientError> {
    let info = keeper.with_mcp(client, |c| async move { c.initialize().await }).await?;
    let profile = keeper.with_mcp(client, |c| async move { c.read_resource(RESOURCE_PROFILE).await }).await?;
    let whoami = serde_json::from_str::<Value>(&profile)
        .ok()
        .and_then(|v| v.get("username").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| ClientError::message(format!("The {RESOURCE_PROFILE} resource has no username field.")))?;
    let tools = keeper.with_mcp(client, |c| async move { c.list_tools().await }).await?;
    let resources = keeper.with_mcp(client, |c| async move { c.list_resources().await }).await?;
    Ok(Overview { info, whoami, tools, resources })
}

/// Reports an error: a 401 (or a refused refresh) ends the session, anything else goes to the
/// error banner.
#[derive(Clone, Copy)]
struct Reporter {
    error: RwSignal<Option<String>>,
    revoked: RwSignal<Option<String>>,
}

impl Reporter {
    fn report(self, e: &ClientError) {
        if *e == ClientError::Unauthorized {
            storage::clear_session();
            self.revoked.set(Some(e.to_string()));
        } else {
            self.error.set(Some(e.to_string()));
        }
    }
}

#[derive(Clone, Copy)]
enum Op {
    UserData,
    Profile,
    Stats,
}

/// An action that runs one MCP operation and puts its text into `out`.
fn op_action(op: Op, mcp: Mcp, out: RwSignal<Option<String>>, reporter: Reporter) -> Action<(), ()> {
    Action::new_local(move |(): &()| {
        let client = mcp.client.get_value();
        let keeper = mcp.keeper.get_value();
        async move {
            reporter.error.set(None);
            let result = keeper
                .with_mcp(&client, |c| async move {
                    match op {
                        Op::UserData => c.call_tool(TOOL_GET_USER_DATA, json!({ "user_id": "current" })).await,
                        Op::Profile => c.read_resource(RESOURCE_PROFILE).await,
                        Op::Stats => c.read_resource(RESOURCE_STATS).await,
                    }
                })
                .await;
            match result {
                Ok(text) => out.set(Some(text)),
                Err(e) => reporter.report(&e),
            }
        }
    })
}

/// Runs a `tools/call` from the profile form. A 403 `insufficient_scope` on a first attempt starts
/// the step-up (the page leaves for the authorization server); on the retry after it (`retry`),
/// any failure is only reported, so the user is never sent round in a loop.
fn tool_call_action(
    mcp: Mcp,
    out: RwSignal<Option<String>>,
    reporter: Reporter,
    t: Timeline,
) -> Action<(PendingCall, bool), ()> {
    Action::new_local(move |(call, retry): &(PendingCall, bool)| {
        let (client, keeper) = (mcp.client.get_value(), mcp.keeper.get_value());
        let (call, retry) = (call.clone(), *retry);
        async move {
            reporter.error.set(None);
            if retry {
                let pending = format!("tools/call {} again with the new access token (once)…", call.tool);
                t.start(RETRY, "Retry the refused call", pending);
            }
            let (tool, arguments) = (call.tool.clone(), call.arguments.clone());
            let result = keeper
                .with_mcp(&client, |c| {
                    let (tool, arguments) = (tool.clone(), arguments.clone());
                    async move { c.call_tool(&tool, arguments).await }
                })
                .await;
            match result {
                Ok(text) => {
                    if retry {
                        let scope = keeper.session().tokens.scope.unwrap_or_default();
                        t.ok(
                            RETRY,
                            format!("tools/call {} → 200 with scope \"{scope}\": the call went through.", call.tool),
                        );
                    }
                    out.set(Some(text));
                }
                Err(ClientError::InsufficientScope { scope, .. }) if !retry => {
                    let call = PendingCall { scope, ..call };
                    if let Err(e) = step_up::reauthorize(&keeper.session(), call, t).await {
                        reporter.report(&e);
                    }
                }
                Err(e) => {
                    if retry {
                        t.fail(RETRY, format!("Refused again after the step-up; not retrying. {e}"));
                    }
                    reporter.report(&e);
                }
            }
        }
    })
}

/// The MCP client and the session keeper every operation goes through.
#[derive(Clone, Copy)]
struct Mcp {
    client: Local<McpClient>,
    keeper: Local<TokenKeeper>,
}

#[component]
fn Console(session: Session) -> impl IntoView {
    let keeper = TokenKeeper::new(session.clone());
    let (shown, renewals) = (keeper.session_signal(), keeper.renewals());
    let client = mcp_client(&session.mcp_url, &session.access_token);
    let mcp = Mcp { client: StoredValue::new_local(client), keeper: StoredValue::new_local(keeper) };
    let reporter = Reporter { error: RwSignal::new(None), revoked: RwSignal::new(None) };
    // A call refused before a step-up login is retried once, right after that login.
    let resumed = storage::take_pending_call();
    let steps = if resumed.is_some() { session.timeline.clone() } else { Vec::new() };
    let step_up = StepUp { timeline: Timeline::new(steps), resumed: StoredValue::new_local(resumed) };
    let overview = LocalResource::new(move || {
        let client = mcp.client.get_value();
        let keeper = mcp.keeper.get_value();
        async move {
            let result = load_overview(&keeper, &client).await;
            if let Err(ClientError::Unauthorized) = &result {
                storage::clear_session();
                reporter.revoked.set(Some(ClientError::Unauthorized.to_string()));
            }
            result
        }
    });
    let refresh_now = Action::new_local(move |(): &()| {
        let keeper = mcp.keeper.get_value();
        async move {
            reporter.error.set(None);
            if let Err(e) = keeper.refresh().await {
                reporter.report(&e);
            }
        }
    });
    let navigate = use_navigate();
    let home = super::with_query("/", &[("logged_out", "1"), ("mcp", &session.mcp_url)]);
    let logout = Action::new_local(move |(): &()| {
        let (keeper, client) = (mcp.keeper.get_value(), mcp.client.get_value());
        let navigate = navigate.clone();
        let home = home.clone();
        async move {
            log_out(&keeper, &client).await;
            navigate(&home, NavigateOptions::default());
        }
    });
    let mcp_url = session.mcp_url.clone();

    move || match reporter.revoked.get() {
        Some(reason) => view! { <LoginRequired reason=Some(reason) mcp_url=Some(mcp_url.clone()) /> }.into_any(),
        None => view! {
            <SessionCard
                session=shown
                renewals
                refreshing=refresh_now.pending()
                on_refresh=Callback::new(move |()| { refresh_now.dispatch(()); })
                on_logout=Callback::new(move |()| { logout.dispatch(()); })
            />
            <ErrorBanner message=reporter.error />
            <Transition fallback=|| view! { <p class="card muted">"Opening an MCP session…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    let message = Signal::derive(move || {
                        let texts: Vec<String> = errors.get().into_iter().map(|(_, e)| e.to_string()).collect();
                        (!texts.is_empty()).then(|| texts.join(" "))
                    });
                    view! { <ErrorBanner message /> }
                }>
                    {move || Suspend::new(async move {
                        overview.await.map(|ov| view! { <OverviewView overview=ov mcp reporter step_up /> })
                    })}
                </ErrorBoundary>
            </Transition>
            <details class="card">
                <summary>"How this session was obtained"</summary>
                <FlowTimeline steps=Signal::stored(session.timeline.clone()) />
            </details>
        }
        .into_any(),
    }
}

/// Best effort, like any logout: ends the MCP session, revokes the grant, forgets every record.
async fn log_out(keeper: &TokenKeeper, client: &McpClient) {
    // The newest tokens, once a refresh under way has landed; no refresh starts after this.
    let session = keeper.close().await;
    client.set_token(&session.access_token);
    client.close().await;
    if let Some(endpoint) = &session.revocation_endpoint {
        // Revoking the refresh token ends the whole grant, its access tokens included.
        let (token, kind) = match &session.refresh_token {
            Some(refresh_token) => (refresh_token, TokenKind::Refresh),
            None => (&session.access_token, TokenKind::Access),
        };
        if let Err(e) = token::revoke(&Fetch, endpoint, &session.credentials, token, kind).await {
            leptos::logging::warn!("token revocation failed: {e}");
        }
    }
    storage::clear_all();
}

/// The step-up timeline and the call waiting for its one retry.
#[derive(Clone, Copy)]
struct StepUp {
    timeline: Timeline,
    resumed: Local<Option<PendingCall>>,
}

#[component]
fn OverviewView(overview: Overview, mcp: Mcp, reporter: Reporter, step_up: StepUp) -> impl IntoView {
    let user_data = RwSignal::new(None::<String>);
    let profile = RwSignal::new(None::<String>);
    let stats = RwSignal::new(None::<String>);
    let run_user_data = op_action(Op::UserData, mcp, user_data, reporter);
    let run_profile = op_action(Op::Profile, mcp, profile, reporter);
    let run_stats = op_action(Op::Stats, mcp, stats, reporter);
    let updated = RwSignal::new(None::<String>);
    let run_update = tool_call_action(mcp, updated, reporter, step_up.timeline);
    if let Some(call) = step_up.resumed.try_update_value(Option::take).flatten() {
        run_update.dispatch((call, true));
    }
    let submit_update = Callback::new(move |display_name: String| {
        let call = PendingCall {
            tool: TOOL_UPDATE_PROFILE.to_owned(),
            arguments: json!({ "display_name": display_name }),
            scope: String::new(),
        };
        run_update.dispatch((call, false));
    });
    let needs = shared::scopes::required_for_tool(TOOL_UPDATE_PROFILE).join(" ");
    let info = overview.info;
    let tools = overview.tools.into_iter().map(|t| (t.name, t.description)).collect();
    // For a resource, `name` is its URI and `description` its name.
    let resources = overview.resources.into_iter().map(|r| (r.name, r.description)).collect();
    view! {
        <section class="card">
            <p class="whoami">"Logged in as " <span data-testid="whoami">{overview.whoami}</span></p>
            <p class="muted">
                {format!(
                    "Connected to {} {} (protocol {}){}.",
                    info.name,
                    info.version,
                    info.protocol_version,
                    info.session_id.map(|id| format!(", MCP session {id}")).unwrap_or_default(),
                )}
            </p>
        </section>
        <div class="grid">
            <ResultPanel
                title="Tool: get_user_data"
                description="tools/call get_user_data {\"user_id\": \"current\"}"
                button_label="Call get_user_data"
                button_testid="call-get-user-data"
                result_testid="user-data-result"
                result=user_data
                busy=run_user_data.pending()
                on_run=Callback::new(move |()| { run_user_data.dispatch(()); })
            />
            <ResultPanel
                title="Resource: user://profile"
                description="resources/read user://profile"
                button_label="Read profile"
                button_testid="read-profile"
                result_testid="profile-result"
                result=profile
                busy=run_profile.pending()
                on_run=Callback::new(move |()| { run_profile.dispatch(()); })
            />
            <ResultPanel
                title="Resource: user://stats"
                description="resources/read user://stats"
                button_label="Read stats"
                button_testid="read-stats"
                result_testid="stats-result"
                result=stats
                busy=run_stats.pending()
                on_run=Callback::new(move |()| { run_stats.dispatch(()); })
            />
        </div>
        <ProfileForm
            needs
            result=updated
            busy=run_update.pending()
            steps=step_up.timeline.signal()
            on_submit=submit_update
        />
        <div class="grid">
            <ItemList title="Tools" item_testid="tool" items=tools />
            <ItemList title="Resources" item_testid="resource" items=resources />
        </div>
    }
}
