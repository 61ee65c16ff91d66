//! A form built from a tool's input JSON Schema (or a prompt's argument list): a text field per
//! string, a number field per number or integer, a checkbox per boolean, a select per enum, and
//! a raw-JSON text area for anything else (objects, arrays, unions). Required fields are marked;
//! [`collect`] turns what was typed into the JSON `arguments`, or says which field is wrong.

use client_core::mcp::text_of;
use leptos::prelude::*;
use serde_json::{Map, Value};

use super::{attr, flag, handler, typed_into};

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Text,
    Number,
    Integer,
    Boolean,
    Enum(Vec<String>),
    Json,
}

#[derive(Debug)]
pub struct Field {
    pub name: String,
    pub kind: Kind,
    pub required: bool,
    pub description: String,
    /// What the field starts with: the schema's `default`, as typed text.
    pub initial: String,
}

/// The fields of an object schema's `properties`, in the schema's order.
#[must_use]
pub fn fields_of_schema(schema: &Value) -> Vec<Field> {
    let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let Some(properties) = schema["properties"].as_object() else { return Vec::new() };
    properties
        .iter()
        .map(|(name, prop)| {
            let enums: Option<Vec<String>> = prop["enum"]
                .as_array()
                .map(|values| values.iter().map(|v| v.as_str().map_or_else(|| text_of(v), str::to_owned)).collect());
            let kind = match (enums, prop["type"].as_str()) {
                (Some(values), Some("string") | None) => Kind::Enum(values),
                (_, Some("string")) => Kind::Text,
                (_, Some("number")) => Kind::Number,
                (_, Some("integer")) => Kind::Integer,
                (_, Some("boolean")) => Kind::Boolean,
                _ => Kind::Json,
            };
            let initial = match &prop["default"] {
                Value::Null => String::new(),
                Value::String(s) if kind != Kind::Json => s.clone(),
                other => text_of(other),
            };
            Field {
                name: name.clone(),
                kind,
                required: required.contains(&name.as_str()),
                description: prop["description"].as_str().unwrap_or_default().to_owned(),
                initial,
            }
        })
        .collect()
}

/// A prompt's `arguments` (`name`, `description`, `required`): all strings.
#[must_use]
pub fn fields_of_prompt(prompt: &Value) -> Vec<Field> {
    prompt["arguments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| Field {
            name: a["name"].as_str().unwrap_or_default().to_owned(),
            kind: Kind::Text,
            required: a["required"].as_bool().unwrap_or(false),
            description: a["description"].as_str().unwrap_or_default().to_owned(),
            initial: String::new(),
        })
        .collect()
}

/// The `arguments` object from the typed values (same order as `fields`). Empty optional fields
/// are left out; an empty required one, a bad number or bad JSON is an error naming the field.
pub fn collect(fields: &[Field], values: &[String]) -> Result<Value, String> {
    let mut args = Map::new();
    for (field, raw) in fields.iter().zip(values) {
        let raw = raw.trim();
        // What is wrong says only why: the field's name is put in front once, below.
        let value = match &field.kind {
            _ if raw.is_empty() && field.required => Err("is required.".to_owned()),
            _ if raw.is_empty() => continue,
            Kind::Text | Kind::Enum(_) => Ok(Value::String(raw.to_owned())),
            Kind::Boolean => Ok(Value::Bool(raw == "true")),
            Kind::Integer => raw.parse::<i64>().map(Value::from).map_err(|_| "must be a whole number.".to_owned()),
            Kind::Number => number(raw).ok_or_else(|| "must be a number.".to_owned()),
            Kind::Json => serde_json::from_str(raw).map_err(|e| format!("is not valid JSON ({e}).")),
        };
        args.insert(field.name.clone(), value.map_err(|why| format!("{} {why}", field.name))?);
    }
    Ok(Value::Object(args))
}

/// A number as `<input type="number">` gives it (HTML's floating-point syntax, which may start
/// with "."), read by serde_json's number parser: `f64::from_str` would add ~10 KB of code and
/// tables to the SPA for this one field type. Integers stay integers (`3`, not `3.0`).
fn number(raw: &str) -> Option<Value> {
    let (sign, digits) = raw.strip_prefix('-').map_or(("", raw), |d| ("-", d));
    let zero = if digits.starts_with('.') { "0" } else { "" };
    serde_json::from_str::<Value>(&format!("{sign}{zero}{digits}")).ok().filter(Value::is_number)
}

/// The inputs for `fields`; `values[i]` holds what field `i` currently says.
pub fn schema_fields(fields: &[Field], values: &[RwSignal<String>]) -> impl IntoView {
    fields.iter().zip(values).map(|(field, value)| field_view(field, *value)).collect::<Vec<_>>()
}

fn field_view(field: &Field, value: RwSignal<String>) -> AnyView {
    let label = if field.required { format!("{} *", field.name) } else { field.name.clone() };
    let name = field.name.clone();
    // Every field fires `input` as it changes (a checkbox too, as it is toggled): one event
    // type and one handler type for all of them.
    let input = match &field.kind {
        Kind::Enum(options) => view! {
            <select data-field=name prop:value=value on:input=typed_into(value)>
                <option value="">"—"</option>
                {options.iter().map(|o| { let label = o.clone(); view! { <option {..attr("value", o.clone())}>{label}</option> }.into_any() }).collect::<Vec<_>>()}
            </select>
        }
        .into_any(),
        Kind::Json => view! {
            <textarea {..attr("rows", "3")} {..attr("placeholder", "JSON")} data-field=name prop:value=value
                on:input=typed_into(value)></textarea>
        }
        .into_any(),
        // One `<input>` for a checkbox, text and numbers: a checkbox keeps "true"/"false".
        kind => {
            let boolean = matches!(kind, Kind::Boolean);
            let type_ = match kind {
                Kind::Boolean => "checkbox",
                Kind::Text => "text",
                _ => "number",
            };
            let step = if matches!(kind, Kind::Number) { "any" } else { "1" };
            let typed = move |ev: leptos::ev::Event| {
                value.set(if boolean { event_target_checked(&ev).to_string() } else { event_target_value(&ev) });
            };
            view! {
                <input {..attr("step", step)} {..attr("type", type_)} data-field=name prop:value=value
                    prop:checked=flag(move || value.get() == "true") on:input=handler(typed) />
            }
            .into_any()
        }
    };
    view! {
        <label class="field">
            <span>{label}</span>
            " "
            <span class="muted">{field.description.clone()}</span>
            {input}
        </label>
    }
    .into_any()
}
