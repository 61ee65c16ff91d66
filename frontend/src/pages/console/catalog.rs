//! The console's cards for what a server offers, one view for every kind: a tool (form from its
//! input schema, call, result), a resource (read, contents) and a prompt (form from its
//! arguments, messages) differ only by the [`Kind`] row that labels them.

use leptos::prelude::*;
use serde_json::Value;

use super::run::{Op, Runner};
use crate::components::mcp_result::mcp_result;
use crate::components::schema_form::{collect, fields_of_prompt, fields_of_schema, schema_fields, Field};
use crate::components::{attr, banner, handler, region, working, Region};

/// Where a card's latest result goes.
pub(super) type Out = RwSignal<Option<Value>>;

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Tool,
    Resource,
    Prompt,
}

/// One kind of item: how it is listed, labelled and run.
pub(super) struct Kind {
    which: Which,
    /// The section heading.
    pub heading: &'static str,
    /// The capability that declares it, also the key its list comes under.
    pub list: &'static str,
    pub method: &'static str,
    /// Its section shows a heading and "None listed" even when the server declares nothing.
    pub always: bool,
    /// The item's field that names it (`name`, or a resource's `uri`).
    key: &'static str,
    testid: &'static str,
    data: &'static str,
    button: &'static str,
    label: &'static str,
    result: &'static str,
}

pub(super) const KINDS: [Kind; 3] = [
    Kind {
        which: Which::Tool,
        heading: "Tools",
        list: "tools",
        method: "tools/list",
        always: true,
        key: "name",
        testid: "tool",
        data: "data-tool",
        button: "call-tool",
        label: "Call",
        result: "tool-result",
    },
    Kind {
        which: Which::Resource,
        heading: "Resources",
        list: "resources",
        method: "resources/list",
        always: true,
        key: "uri",
        testid: "resource",
        data: "data-resource",
        button: "read-resource",
        label: "Read",
        result: "resource-result",
    },
    Kind {
        which: Which::Prompt,
        heading: "Prompts",
        list: "prompts",
        method: "prompts/list",
        always: false,
        key: "name",
        testid: "prompt",
        data: "data-prompt",
        button: "get-prompt",
        label: "Get prompt",
        result: "prompt-result",
    },
];

impl Kind {
    /// True for tools: the only kind a refused call is retried for after a step-up.
    pub fn is_tool(&self) -> bool {
        self.which == Which::Tool
    }

    fn op(&self, id: String, arguments: Value) -> Op {
        match self.which {
            Which::Tool => Op::tool(id, arguments),
            Which::Resource => Op::read(&id),
            Which::Prompt => Op::Call("prompts/get", "name", id, Some(arguments)),
        }
    }

    fn fields(&self, item: &Value) -> Vec<Field> {
        match self.which {
            Which::Tool => fields_of_schema(&item["inputSchema"]),
            Which::Resource => Vec::new(),
            Which::Prompt => fields_of_prompt(item),
        }
    }

    fn description(&self, item: &Value) -> String {
        let description = text(item, "description");
        match self.which {
            Which::Resource => format!("{} {description}", text(item, "name")),
            _ => description,
        }
    }
}

pub(super) fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn result_view(out: Out, testid: &'static str) -> Region {
    region(move || out.with(|result| result.as_ref().map(|result| mcp_result(result, testid))))
}

fn form_error(message: RwSignal<Option<String>>) -> Region {
    region(move || message.get().map(|m| banner(true, "form-error", m)))
}

/// One item's card: its form (none for a resource), its button, its latest result.
pub(super) fn card(kind: &'static Kind, item: &Value, runner: Runner) -> AnyView {
    let id = text(item, kind.key);
    let fields = kind.fields(item);
    let values: Vec<RwSignal<String>> = fields.iter().map(|f| RwSignal::new(f.initial.clone())).collect();
    let invalid = RwSignal::new(None::<String>);
    let fields_view = schema_fields(&fields, &values);
    let (op_id, title) = (id.clone(), id.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed: Vec<String> = values.iter().map(|v| v.get_untracked()).collect();
        match collect(&fields, &typed) {
            Ok(arguments) => {
                invalid.set(None);
                runner.call(kind.op(op_id.clone(), arguments), false);
            }
            Err(why) => invalid.set(Some(why)),
        }
    };
    view! {
        <section class="card" data-testid=kind.testid {..attr(kind.data, id)}>
            <h3><code>{title}</code></h3>
            <p class="muted">{kind.description(item)}</p>
            <form on:submit=handler(submit)>
                {fields_view}
                <button {..attr("type", "submit")} data-testid=kind.button disabled=runner.busy.flag()>{kind.label}</button>
                {working(runner.busy)}
            </form>
            {form_error(invalid)}
            {result_view(runner.out, kind.result)}
        </section>
    }
    .into_any()
}
