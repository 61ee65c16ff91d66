//! Every MCP operation the console makes, as data: one [`Op`] enum run by one [`exec`], so one
//! boxed future type serves lists, tool calls, resource reads and prompts (a closure and a
//! `with_mcp` instance per operation and result type was compiled once for each). A tool call,
//! a resource read and a prompt are one [`Op::Call`] (method and params): one await on
//! `McpClient::call` instead of one wrapper future each.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::{Mcp, Reporter};
use crate::error::ClientError;
use crate::flow::ids::RETRY;
use crate::flow::refresh::TokenKeeper;
use crate::flow::{step_up, Timeline};
use crate::http::McpClient;
use crate::storage::PendingCall;
use crate::task::{run, Busy};

#[derive(Clone)]
pub(super) enum Op {
    /// `initialize`: `connected` (the text the console shows) and the server's `capabilities`
    /// (a value like every other result: one `with_mcp` instance for every operation).
    Init,
    /// `*/list` (method, the key its items come under), every page: the items as an array.
    List(&'static str, &'static str),
    /// `tools/call`, `resources/read` or `prompts/get`: the method, the param that names the
    /// item (`name`, `uri`) and its value, the `arguments` (none for a read). The params are
    /// built in one place, [`exec`].
    Call(&'static str, &'static str, String, Option<Value>),
}

/// The method of a tool call: the one operation a step-up retries.
pub(super) const TOOLS_CALL: &str = "tools/call";

impl Op {
    pub fn tool(name: String, arguments: Value) -> Self {
        Op::Call(TOOLS_CALL, "name", name, Some(arguments))
    }

    pub fn read(uri: &str) -> Self {
        Op::Call("resources/read", "uri", uri.to_owned(), None)
    }
}

/// Runs `op` through the keeper (fresh token, one renewal after a 401); the whole result.
pub(super) async fn exec(keeper: &TokenKeeper, client: &McpClient, op: &Op) -> Result<Value, ClientError> {
    keeper
        .with_mcp(client, &|c| {
            let op = op.clone();
            Box::pin(async move {
                match op {
                    Op::Init => c.initialize().await.map(|info| {
                        // Built by hand: `json!` would serialize the capabilities again, through
                        // a `to_value` serializer of its own.
                        let mut overview = Map::new();
                        overview.insert("connected".to_owned(), super::connected(&info).into());
                        overview.insert("capabilities".to_owned(), info.capabilities);
                        Value::Object(overview)
                    }),
                    Op::List(method, key) => c.list_all(method, key).await.map(Value::from),
                    Op::Call(method, key, id, arguments) => {
                        let mut params = Map::new();
                        params.insert(key.to_owned(), Value::String(id));
                        if let Some(arguments) = arguments {
                            params.insert("arguments".to_owned(), arguments);
                        }
                        c.call(method, Value::Object(params)).await
                    }
                }
            })
        })
        .await
}

/// Runs one card's operations; each whole result goes to `out`. A 403 `insufficient_scope` on
/// a first tool call starts the step-up (the page leaves for the authorization server); on the
/// retry after it (`retry`), any failure is only reported, so the user is never sent round in
/// a loop.
#[derive(Clone, Copy)]
pub(super) struct Runner {
    pub mcp: Mcp,
    pub out: super::catalog::Out,
    pub reporter: Reporter,
    pub timeline: Timeline,
    pub busy: Busy,
}

impl Runner {
    pub fn call(self, op: Op, retry: bool) {
        run(Some(self.busy), self.op(op, retry));
    }

    async fn op(self, op: Op, retry: bool) {
        let (client, keeper) = self.mcp.get();
        let (t, reporter) = (self.timeline, self.reporter);
        reporter.error.set(None);
        let tool = match &op {
            Op::Call(_, _, id, _) => id.clone(),
            _ => String::new(),
        };
        if retry {
            t.start(
                RETRY,
                "Retry the refused call",
                format!("tools/call {tool} again with the new access token (once)…"),
            );
        }
        match (exec(&keeper, &client, &op).await, op) {
            (Ok(value), _) => {
                if retry {
                    let scope = keeper.session().tokens.scope.unwrap_or_default();
                    t.ok(RETRY, format!("tools/call {tool} → 200 with scope \"{scope}\": the call went through."));
                }
                self.out.set(Some(value));
            }
            (Err(ClientError::InsufficientScope { scope, .. }), Op::Call(TOOLS_CALL, _, tool, Some(arguments)))
                if !retry =>
            {
                // A task of its own (counted in the same `busy`, which it takes before this one
                // ends): this future then holds no step-up state across its one await.
                let call = PendingCall { tool, arguments, scope };
                let session = keeper.session();
                run(Some(self.busy), async move {
                    if let Err(e) = step_up::reauthorize(&session, call, t).await {
                        reporter.report(&e);
                    }
                });
            }
            (Err(e), _) => {
                if retry {
                    t.fail(RETRY, format!("Refused again after the step-up; not retrying. {e}"));
                }
                reporter.report(&e);
            }
        }
    }
}
