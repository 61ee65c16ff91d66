//! The console's cards for what a server offers: a tool (form from its input schema, call,
//! result), a resource (read, contents) and a prompt (form from its arguments, messages). One
//! runner serves every resource read and prompt: each card passes its own output signal.

use leptos::prelude::*;
use serde_json::Value;

use super::{Mcp, Reporter, ToolRunner};
use crate::components::mcp_result::mcp_result;
use crate::components::schema_form::{collect, fields_of_prompt, fields_of_schema, schema_fields, Field};
use crate::components::{attr, handler, region, working, Region};
use crate::storage::PendingCall;
use crate::task::run;

/// Where a card's latest result goes.
type Out = RwSignal<Option<Value>>;

#[derive(Clone)]
pub(super) enum Op {
    Read(String),
    Prompt(String, Value),
}

/// Runs `resources/read`s and `prompts/get`s; each card passes the signal its result goes to.
#[derive(Clone, Copy)]
pub(super) struct Ops {
    pub mcp: Mcp,
    pub reporter: Reporter,
}

impl Ops {
    fn run(self, op: Op, out: Out) {
        let (client, keeper) = self.mcp.get();
        let reporter = self.reporter;
        run(None, async move {
            reporter.error.set(None);
            let result = keeper
                .with_mcp(&client, &|c| {
                    let op = op.clone();
                    Box::pin(async move {
                        match op {
                            Op::Read(uri) => c.read_resource_result(&uri).await,
                            Op::Prompt(name, arguments) => c.get_prompt_result(&name, arguments).await,
                        }
                    })
                })
                .await;
            match result {
                Ok(value) => out.set(Some(value)),
                Err(e) => reporter.report(&e),
            }
        });
    }
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// The signals behind a form's fields, each starting with the field's default.
fn signals(fields: &[Field]) -> Vec<RwSignal<String>> {
    fields.iter().map(|f| RwSignal::new(f.initial.clone())).collect()
}

fn typed(values: &[RwSignal<String>]) -> Vec<String> {
    values.iter().map(|v| v.get_untracked()).collect()
}

fn result_view(out: Out, testid: &'static str) -> Region {
    region(move || out.with(|result| result.as_ref().map(|result| mcp_result(result, testid))))
}

fn form_error(message: RwSignal<Option<String>>) -> Region {
    region(move || {
        message.get().map(|m| view! { <p class="banner banner-error" data-testid="form-error">{m}</p> }.into_any())
    })
}

pub(super) fn tool_card(tool: &Value, runner: ToolRunner) -> AnyView {
    let name = text(tool, "name");
    let fields = fields_of_schema(&tool["inputSchema"]);
    let values = signals(&fields);
    let invalid = RwSignal::new(None::<String>);
    let (submit_fields, submit_values, tool_name, title) = (fields.clone(), values.clone(), name.clone(), name.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match collect(&submit_fields, &typed(&submit_values)) {
            Ok(arguments) => {
                invalid.set(None);
                runner.call(PendingCall { tool: tool_name.clone(), arguments, scope: String::new() }, false);
            }
            Err(why) => invalid.set(Some(why)),
        }
    };
    view! {
        <section class="card" data-testid="tool" data-tool=name>
            <h3><code>{title}</code></h3>
            <p class="muted">{text(tool, "description")}</p>
            <form on:submit=handler(submit)>
                {schema_fields(fields, values)}
                <button {..attr("type", "submit")} data-testid="call-tool" disabled=runner.busy.flag()>"Call"</button>
                {working(runner.busy)}
            </form>
            {form_error(invalid)}
            {result_view(runner.out, "tool-result")}
        </section>
    }
    .into_any()
}

pub(super) fn resource_card(resource: &Value, op: Ops) -> AnyView {
    let uri = text(resource, "uri");
    let out = RwSignal::new(None::<Value>);
    let (read_uri, title) = (uri.clone(), uri.clone());
    view! {
        <section class="card" data-testid="resource" data-resource=uri>
            <h3><code>{title}</code></h3>
            <p class="muted">{text(resource, "name")} " " {text(resource, "description")}</p>
            <button data-testid="read-resource" on:click=handler(move |_| { op.run(Op::Read(read_uri.clone()), out); })>
                "Read"
            </button>
            {result_view(out, "resource-result")}
        </section>
    }
    .into_any()
}

pub(super) fn prompt_card(prompt: &Value, op: Ops) -> AnyView {
    let name = text(prompt, "name");
    let fields = fields_of_prompt(prompt);
    let values = signals(&fields);
    let out = RwSignal::new(None::<Value>);
    let invalid = RwSignal::new(None::<String>);
    let (submit_fields, submit_values, prompt_name, title) =
        (fields.clone(), values.clone(), name.clone(), name.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match collect(&submit_fields, &typed(&submit_values)) {
            Ok(arguments) => {
                invalid.set(None);
                op.run(Op::Prompt(prompt_name.clone(), arguments), out);
            }
            Err(why) => invalid.set(Some(why)),
        }
    };
    view! {
        <section class="card" data-testid="prompt" data-prompt=name>
            <h3><code>{title}</code></h3>
            <p class="muted">{text(prompt, "description")}</p>
            <form on:submit=handler(submit)>
                {schema_fields(fields, values)}
                <button {..attr("type", "submit")} data-testid="get-prompt">"Get prompt"</button>
            </form>
            {form_error(invalid)}
            {result_view(out, "prompt-result")}
        </section>
    }
    .into_any()
}
