//! `/console`: uses the stored session to open an MCP session (`initialize`, then
//! `notifications/initialized`) with any MCP server, lists what it declares in its capabilities
//! (tools, resources, prompts) and lets the user call any tool (a form built from its input
//! schema, see `catalog`), read any resource and get any prompt. Every MCP operation goes through the
//! [`TokenKeeper`], which renews the access token with the refresh token before it expires, or
//! once after a 401, so the console outlives its access tokens; "Refresh token now" renews on
//! demand. A 401 that cannot be cured that way, or a refused refresh, ends the session here (the
//! record is removed) and asks the user to log in again. A 403 `insufficient_scope` on a tool call starts a step-up login (`flow::step_up`) and the refused call
//! is retried once when the console opens again. Logout ends the MCP session with
//! `DELETE`, revokes the refresh token (RFC 7009; this ends the whole grant) or, without one, the
//! access token, when the server offers revocation, and forgets every record.

use leptos::prelude::*;
use serde_json::Value;
use shared::mcp::RESOURCE_PROFILE;

use client_core::mcp::ServerInfo;
use client_core::token::{self, TokenKind};

use crate::browser;
use crate::components::{banner, error_banner, flow_timeline, login_required, region, session_card, siblings};
use crate::error::ClientError;
use crate::flow::refresh::TokenKeeper;
use crate::flow::Timeline;
use crate::http::{mcp_client, Fetch, McpClient};
use crate::router::{self, Router};
use crate::storage::{self, PendingCall, Session};
use crate::task::{run, Busy};

mod catalog;
mod run;

use run::{exec, Op, Runner};

type Local<T> = StoredValue<T, LocalStorage>;

pub fn console_page(router: Router) -> AnyView {
    let stored = storage::load_session().ok().flatten();
    match stored {
        // An expired access token is fine while a refresh token can renew it.
        Some(session) if session.is_usable(browser::now_ms()) => console(session, router),
        other => {
            storage::clear_session();
            let mcp_url = other.map(|s| s.tokens.mcp_url).or_else(|| router::query("mcp"));
            login_required(None, mcp_url)
        }
    }
}

/// What the console shows once the MCP session is up: what the server declared and listed.
#[derive(Debug)]
struct Overview {
    /// Which server, version and protocol the console is connected to.
    connected: String,
    whoami: Option<String>,
    /// The items of each of [`catalog::KINDS`], as a JSON array (`Null` when not declared).
    lists: Vec<Value>,
    /// The call refused before a step-up login, retried once in its tool's card: the overview
    /// is set once, so its view (and this retry) is built once.
    resumed: Option<PendingCall>,
}

/// `initialize`, each declared list, then the profile: one await over that sequence of
/// operations (an await point each made a larger future).
async fn load_overview(keeper: &TokenKeeper, client: &McpClient) -> Result<Overview, ClientError> {
    let kinds = catalog::KINDS.len();
    // `[info, the items of each kind…, profile]`, `Null` for what was not asked.
    let mut results: Vec<Value> = Vec::new();
    for step in 0..kinds + 2 {
        let op = match step {
            0 => Some(Op::Init),
            // Only what the server declares in its capabilities is listed.
            n if n <= kinds => {
                let kind = &catalog::KINDS[n - 1];
                let declared = results[0]["capabilities"].get(kind.list).is_some_and(|c| !c.is_null());
                declared.then_some(Op::List(kind.method, kind.list))
            }
            // Who is logged in, when the server offers it the way this project's server does: a
            // `user://profile` resource with a `username`. Other servers simply do not say.
            _ => {
                let resources = &results[2]; // `KINDS[1]`
                let offered = resources.as_array().into_iter().flatten().any(|r| r["uri"] == RESOURCE_PROFILE);
                offered.then(|| Op::read(RESOURCE_PROFILE))
            }
        };
        results.push(match op {
            Some(op) => exec(keeper, client, &op).await?,
            None => Value::Null,
        });
    }
    let profile = results.pop().unwrap_or_default();
    let text = profile["contents"][0]["text"].as_str().unwrap_or_default();
    let whoami = serde_json::from_str::<Value>(text).ok().and_then(|v| v["username"].as_str().map(str::to_owned));
    let lists = results.split_off(1);
    let connected = results[0]["connected"].as_str().unwrap_or_default().to_owned();
    Ok(Overview { connected, whoami, lists, resumed: None })
}

/// What `initialize` said, as the console shows it.
fn connected(info: &ServerInfo) -> String {
    let session = info.session_id.as_ref().map(|id| format!(", MCP session {id}")).unwrap_or_default();
    format!("Connected to {} {} (protocol {}){session}.", info.name, info.version, info.protocol_version)
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
        if matches!(e, ClientError::Unauthorized) {
            storage::clear_session();
            self.revoked.set(Some(e.to_string()));
        } else {
            self.error.set(Some(e.to_string()));
        }
    }
}

/// The MCP client and the session keeper every operation goes through (one stored value: one
/// `StoredValue` type less in the bundle).
#[derive(Clone, Copy)]
struct Mcp(Local<(McpClient, TokenKeeper)>);

impl Mcp {
    fn get(self) -> (McpClient, TokenKeeper) {
        self.0.get_value()
    }
}

fn console(session: Session, router: Router) -> AnyView {
    let keeper = TokenKeeper::new(session.clone());
    let (shown, renewals) = (keeper.session_signal(), keeper.renewals());
    let client = mcp_client(&session.mcp_url, &session.access_token);
    let mcp = Mcp(StoredValue::new_local((client, keeper)));
    let reporter = Reporter { error: RwSignal::new(None), revoked: RwSignal::new(None) };
    // A call refused before a step-up login is retried once, right after that login.
    let resumed = storage::take_pending_call();
    let steps = if resumed.is_some() { session.timeline.clone() } else { Vec::new() };
    let step_up = Timeline::new(steps);
    // The overview once loaded: `None` while the MCP session opens.
    let overview = RwSignal::new(None::<Result<Overview, ClientError>>);
    run(None, async move {
        let (client, keeper) = mcp.get();
        let result = load_overview(&keeper, &client).await.map(|o| Overview { resumed, ..o });
        if let Err(ClientError::Unauthorized) = &result {
            storage::clear_session();
            reporter.revoked.set(Some(ClientError::Unauthorized.to_string()));
        }
        overview.set(Some(result));
    });
    let refreshing = Busy::new();
    let on_refresh = move || {
        let (_, keeper) = mcp.get();
        run(Some(refreshing), async move {
            reporter.error.set(None);
            if let Err(e) = keeper.refresh().await {
                reporter.report(&e);
            }
        });
    };
    let on_logout = move || {
        let (client, keeper) = mcp.get();
        run(None, async move {
            let mcp_url = log_out(&keeper, &client).await;
            router.navigate(&super::with_query("/", &[("logged_out", "1"), ("mcp", &mcp_url)]), false);
        });
    };
    let mcp_url = session.mcp_url.clone();

    let page = region(move || match reporter.revoked.get() {
        Some(reason) => Some(login_required(Some(reason), Some(mcp_url.clone()))),
        None => Some(siblings(vec![
            session_card(shown, renewals, refreshing, on_refresh, on_logout).into_any(),
            error_banner(reporter.error).into_any(),
            region(move || {
                overview.with(|overview| {
                    Some(match overview {
                        None => view! { <p class="card muted">"Opening an MCP session…"</p> }.into_any(),
                        Some(Ok(overview)) => untrack(|| overview_view(overview, mcp, reporter, step_up)),
                        Some(Err(e)) => banner(true, "error", e.to_string()),
                    })
                })
            })
            .into_any(),
            view! {
                <details class="card">
                    <summary>"How this session was obtained"</summary>
                    {flow_timeline(RwSignal::new(session.timeline.clone()))}
                </details>
            }
            .into_any(),
        ])),
    });
    page.into_any()
}

/// Best effort, like any logout: ends the MCP session, revokes the grant, forgets every record.
/// Returns the MCP server's URL, for the home page to offer again.
async fn log_out(keeper: &TokenKeeper, client: &McpClient) -> String {
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
    session.tokens.mcp_url
}

/// `step_up`: the step-up timeline.
fn overview_view(overview: &Overview, mcp: Mcp, reporter: Reporter, step_up: Timeline) -> AnyView {
    let Overview { connected, whoami, lists, resumed } = overview;
    let mut parts = vec![
        view! {
        <section class="card">
            {whoami.clone().map(|who| view! { <p class="whoami">"Logged in as " <span data-testid="whoami">{who}</span></p> }.into_any())}
            <p class="muted" data-testid="server-info">{connected.clone()}</p>
        </section>
        }
        .into_any(),
        view! {
        <div data-testid="step-up-timeline">
            {flow_timeline(step_up.signal())}
        </div>
        }
        .into_any(),
    ];
    for (kind, items) in catalog::KINDS.iter().zip(lists) {
        // `Null` when the server does not declare this kind.
        let declared = !items.is_null();
        let items = items.as_array().map_or(&[][..], Vec::as_slice);
        if kind.always || declared {
            parts.push(view! { <h2>{kind.heading}</h2> }.into_any());
        }
        if kind.always && items.is_empty() {
            parts.push(view! { <p class="card muted">"None listed by the server."</p> }.into_any());
        }
        let cards = items
            .iter()
            .map(|item| {
                let out = RwSignal::new(None::<Value>);
                let runner = Runner { mcp, out, reporter, timeline: step_up, busy: Busy::new() };
                // The call refused before a step-up login is retried once, in its own tool's card.
                let name = item["name"].as_str();
                if let Some(call) = resumed.as_ref().filter(|c| kind.is_tool() && name == Some(c.tool.as_str())) {
                    runner.call(Op::tool(call.tool.clone(), call.arguments.clone()), true);
                }
                catalog::card(kind, item, runner)
            })
            .collect::<Vec<AnyView>>();
        parts.push(view! { <div class="grid">{cards}</div> }.into_any());
    }
    siblings(parts)
}
