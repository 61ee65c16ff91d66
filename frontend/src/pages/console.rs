//! `/console`: uses the stored access token to open an MCP session (`initialize`, then
//! `notifications/initialized`), shows who is logged in, the tools and resources, and runs
//! `get_user_data` and the two resource reads on request. A 401 from the MCP server ends the
//! session here (the record is removed) and asks the user to log in again. Logout ends the MCP
//! session with `DELETE`, revokes the access token (RFC 7009) when the server offers it, and
//! forgets every record.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use serde_json::{json, Value};
use shared::mcp::{RESOURCE_PROFILE, RESOURCE_STATS, TOOL_GET_USER_DATA};

use crate::api::mcp::{McpClient, ResourceInfo, ServerInfo, ToolInfo};
use crate::browser;
use crate::components::{ErrorBanner, FlowTimeline, ItemList, LoginRequired, ResultPanel};
use crate::error::ClientError;
use crate::storage::{self, Session};

#[component]
pub fn ConsolePage() -> impl IntoView {
    let stored = storage::load_session().ok().flatten();
    match stored {
        Some(session) if !session.is_expired(browser::now_ms()) => view! { <Console session /> }.into_any(),
        other => {
            storage::clear_session();
            let mcp_url = other.map(|s| s.mcp_url).or_else(|| use_query_map().get_untracked().get("mcp"));
            view! { <LoginRequired reason=None mcp_url /> }.into_any()
        }
    }
}

/// What the console shows once the MCP session is up.
#[derive(Clone, Debug)]
struct Overview {
    info: ServerInfo,
    whoami: String,
    tools: Vec<ToolInfo>,
    resources: Vec<ResourceInfo>,
}

async fn load_overview(client: &McpClient) -> Result<Overview, ClientError> {
    let info = client.initialize().await?;
    let profile = client.read_resource(RESOURCE_PROFILE).await?;
    let whoami = serde_json::from_str::<Value>(&profile)
        .ok()
        .and_then(|v| v.get("username").and_then(Value::as_str).map(str::to_owned))
        .ok_or_else(|| ClientError::message(format!("The {RESOURCE_PROFILE} resource has no username field.")))?;
    let tools = client.list_tools().await?;
    let resources = client.list_resources().await?;
    Ok(Overview { info, whoami, tools, resources })
}

/// Reports an error: a 401 ends the session, anything else goes to the error banner.
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
fn op_action(
    op: Op,
    client: StoredValue<McpClient, LocalStorage>,
    out: RwSignal<Option<String>>,
    reporter: Reporter,
) -> Action<(), ()> {
    Action::new_local(move |(): &()| {
        let client = client.get_value();
        async move {
            reporter.error.set(None);
            let result = match op {
                Op::UserData => client.call_tool(TOOL_GET_USER_DATA, json!({ "user_id": "current" })).await,
                Op::Profile => client.read_resource(RESOURCE_PROFILE).await,
                Op::Stats => client.read_resource(RESOURCE_STATS).await,
            };
            match result {
                Ok(text) => out.set(Some(text)),
                Err(e) => reporter.report(&e),
            }
        }
    })
}

#[component]
fn Console(session: Session) -> impl IntoView {
    let client = StoredValue::new_local(McpClient::new(&session.mcp_url, &session.access_token));
    let reporter = Reporter { error: RwSignal::new(None), revoked: RwSignal::new(None) };
    let overview = LocalResource::new(move || {
        let client = client.get_value();
        async move {
            let result = load_overview(&client).await;
            if let Err(ClientError::Unauthorized) = &result {
                storage::clear_session();
                reporter.revoked.set(Some(ClientError::Unauthorized.to_string()));
            }
            result
        }
    });
    let navigate = use_navigate();
    let home = super::with_query("/", &[("logged_out", "1"), ("mcp", &session.mcp_url)]);
    let revocation =
        session.revocation_endpoint.clone().map(|e| (e, session.client_id.clone(), session.access_token.clone()));
    let logout = Action::new_local(move |(): &()| {
        let client = client.get_value();
        let navigate = navigate.clone();
        let home = home.clone();
        let revocation = revocation.clone();
        async move {
            client.close().await;
            if let Some((endpoint, client_id, token)) = revocation {
                if let Err(e) = crate::api::oauth::revoke(&endpoint, &client_id, &token).await {
                    leptos::logging::warn!("token revocation failed: {e}");
                }
            }
            storage::clear_all();
            navigate(&home, NavigateOptions::default());
        }
    });
    let mcp_url = session.mcp_url.clone();

    move || match reporter.revoked.get() {
        Some(reason) => view! { <LoginRequired reason=Some(reason) mcp_url=Some(mcp_url.clone()) /> }.into_any(),
        None => view! {
            <SessionCard session=session.clone() on_logout=Callback::new(move |()| { logout.dispatch(()); }) />
            <Transition fallback=|| view! { <p class="card muted">"Opening an MCP session…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    let message = Signal::derive(move || {
                        let texts: Vec<String> = errors.get().into_iter().map(|(_, e)| e.to_string()).collect();
                        (!texts.is_empty()).then(|| texts.join(" "))
                    });
                    view! { <ErrorBanner message /> }
                }>
                    {move || Suspend::new(async move {
                        overview.await.map(|ov| view! { <OverviewView overview=ov client reporter /> })
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

#[component]
fn SessionCard(session: Session, on_logout: Callback<()>) -> impl IntoView {
    let expires = String::from(js_sys::Date::new(&session.expires_at.into()).to_iso_string());
    view! {
        <section class="card">
            <div class="row spread">
                <h1>"MCP console"</h1>
                <button class="secondary" data-testid="logout" on:click=move |_| on_logout.run(())>
                    "Log out"
                </button>
            </div>
            <dl class="facts">
                <dt>"MCP server"</dt>
                <dd><code data-testid="session-mcp-url">{session.mcp_url}</code></dd>
                <dt>"Authorization server"</dt>
                <dd><code>{session.issuer}</code></dd>
                <dt>"Client ID"</dt>
                <dd><code>{session.client_id}</code></dd>
                <dt>"Scope"</dt>
                <dd><code>{session.scope.unwrap_or_default()}</code></dd>
                <dt>"Token expires"</dt>
                <dd>{expires}</dd>
            </dl>
        </section>
    }
}

#[component]
fn OverviewView(overview: Overview, client: StoredValue<McpClient, LocalStorage>, reporter: Reporter) -> impl IntoView {
    let user_data = RwSignal::new(None::<String>);
    let profile = RwSignal::new(None::<String>);
    let stats = RwSignal::new(None::<String>);
    let run_user_data = op_action(Op::UserData, client, user_data, reporter);
    let run_profile = op_action(Op::Profile, client, profile, reporter);
    let run_stats = op_action(Op::Stats, client, stats, reporter);
    let info = overview.info;
    let tools = overview.tools.into_iter().map(|t| (t.name, t.description)).collect();
    let resources = overview.resources.into_iter().map(|r| (r.uri, r.name)).collect();
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
        <ErrorBanner message=reporter.error />
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
        <div class="grid">
            <ItemList title="Tools" item_testid="tool" items=tools />
            <ItemList title="Resources" item_testid="resource" items=resources />
        </div>
    }
}
