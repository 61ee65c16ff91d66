//! The fixture tools, resources and prompts that the official MCP conformance suite's server
//! scenarios call by name (`test_simple_text`, `test://static-text`, `test_simple_prompt`, ...).
//! Their contents follow the scenario descriptions in `@modelcontextprotocol/conformance`; none
//! of them touches user data. Only the test mount serves them.

use rmcp::model::{
    ContentBlock, GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Resource, ResourceContents,
    ResourceTemplate, Role, Tool,
};
use serde_json::{json, Value};

/// A 1x1 blue PNG.
pub const PNG_BASE64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgaPgPAAIDAYAkYfWXAAAAAElFTkSuQmCC";
/// One millisecond of silence: 8 samples of 16-bit mono WAV at 8 kHz.
pub const WAV_BASE64: &str = "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA";

pub const TOOL_SIMPLE_TEXT: &str = "test_simple_text";
pub const TOOL_IMAGE: &str = "test_image_content";
pub const TOOL_AUDIO: &str = "test_audio_content";
pub const TOOL_EMBEDDED_RESOURCE: &str = "test_embedded_resource";
pub const TOOL_MIXED: &str = "test_multiple_content_types";
pub const TOOL_LOGGING: &str = "test_tool_with_logging";
pub const TOOL_ERROR: &str = "test_error_handling";
pub const TOOL_PROGRESS: &str = "test_tool_with_progress";
pub const TOOL_SAMPLING: &str = "test_sampling";
pub const TOOL_ELICITATION: &str = "test_elicitation";
pub const TOOL_ELICITATION_DEFAULTS: &str = "test_elicitation_sep1034_defaults";
pub const TOOL_ELICITATION_ENUMS: &str = "test_elicitation_sep1330_enums";

pub const RESOURCE_TEXT: &str = "test://static-text";
pub const RESOURCE_BINARY: &str = "test://static-binary";
pub const TEMPLATE_PREFIX: &str = "test://template/";
pub const TEMPLATE_SUFFIX: &str = "/data";

pub const PROMPT_SIMPLE: &str = "test_simple_prompt";
pub const PROMPT_WITH_ARGS: &str = "test_prompt_with_arguments";
pub const PROMPT_EMBEDDED_RESOURCE: &str = "test_prompt_with_embedded_resource";
pub const PROMPT_IMAGE: &str = "test_prompt_with_image";

fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

fn no_arguments() -> JsonObject {
    object(json!({ "type": "object", "properties": {} }))
}

fn one_string_argument(name: &str, description: &str) -> JsonObject {
    object(json!({
        "type": "object",
        "properties": { name: { "type": "string", "description": description } },
        "required": [name],
    }))
}

pub fn tools() -> Vec<Tool> {
    vec![
        Tool::new(TOOL_SIMPLE_TEXT, "Returns one text block", no_arguments()),
        Tool::new(TOOL_IMAGE, "Returns one PNG image block", no_arguments()),
        Tool::new(TOOL_AUDIO, "Returns one WAV audio block", no_arguments()),
        Tool::new(TOOL_EMBEDDED_RESOURCE, "Returns one embedded text resource", no_arguments()),
        Tool::new(TOOL_MIXED, "Returns text, image and resource blocks", no_arguments()),
        Tool::new(TOOL_LOGGING, "Sends three info log notifications while it runs", no_arguments()),
        Tool::new(TOOL_ERROR, "Always fails with a tool error (isError: true)", no_arguments()),
        Tool::new(TOOL_PROGRESS, "Reports progress 0, 50 and 100 of 100", no_arguments()),
        Tool::new(TOOL_SAMPLING, "Asks the client to sample an LLM", one_string_argument("prompt", "The prompt")),
        Tool::new(
            TOOL_ELICITATION,
            "Asks the client for a username and an email",
            one_string_argument("message", "The message shown to the user"),
        ),
        Tool::new(TOOL_ELICITATION_DEFAULTS, "Elicitation whose fields all have defaults (SEP-1034)", no_arguments()),
        Tool::new(TOOL_ELICITATION_ENUMS, "Elicitation with the five enum forms (SEP-1330)", no_arguments()),
    ]
}

pub fn is_tool(name: &str) -> bool {
    tools().iter().any(|t| t.name == name)
}

pub fn text_resource(uri: &str, mime_type: &str, text: impl Into<String>) -> ResourceContents {
    ResourceContents::TextResourceContents {
        uri: uri.to_owned(),
        mime_type: Some(mime_type.to_owned()),
        text: text.into(),
        meta: None,
    }
}

pub fn embedded_resource() -> ContentBlock {
    ContentBlock::resource(text_resource(
        "test://embedded-resource",
        "text/plain",
        "This is an embedded resource content.",
    ))
}

pub fn mixed_content() -> Vec<ContentBlock> {
    vec![
        ContentBlock::text("Multiple content types test:"),
        ContentBlock::image(PNG_BASE64, "image/png"),
        ContentBlock::resource(text_resource(
            "test://mixed-content-resource",
            "application/json",
            r#"{"test":"data","value":123}"#,
        )),
    ]
}

/// SEP-1034: a default for every primitive type.
pub fn defaults_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "description": "User's name", "default": "John Doe" },
            "age": { "type": "integer", "description": "User's age", "default": 30 },
            "score": { "type": "number", "description": "User's score", "default": 95.5 },
            "status": {
                "type": "string",
                "description": "User's status",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": { "type": "boolean", "description": "Whether the user is verified", "default": true }
        }
    })
}

/// SEP-1330: untitled and titled single-select, the legacy `enumNames` form, and untitled and
/// titled multi-select.
pub fn enums_schema() -> Value {
    let titled = |prefix: &str, word: &str| {
        json!([
            { "const": format!("{prefix}1"), "title": format!("First {word}") },
            { "const": format!("{prefix}2"), "title": format!("Second {word}") },
            { "const": format!("{prefix}3"), "title": format!("Third {word}") }
        ])
    };
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": { "type": "string", "enum": ["option1", "option2", "option3"] },
            "titledSingle": { "type": "string", "oneOf": titled("value", "Option") },
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
            },
            "titledMulti": { "type": "array", "items": { "anyOf": titled("value", "Choice") } }
        }
    })
}

pub fn user_info_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "username": { "type": "string", "description": "User's response" },
            "email": { "type": "string", "description": "User's email address" }
        },
        "required": ["username", "email"]
    })
}

pub fn resources() -> Vec<Resource> {
    vec![
        Resource::new(RESOURCE_TEXT, "static-text").with_description("A fixed text").with_mime_type("text/plain"),
        Resource::new(RESOURCE_BINARY, "static-binary").with_description("A fixed PNG").with_mime_type("image/png"),
    ]
}

pub fn templates() -> Vec<ResourceTemplate> {
    vec![ResourceTemplate::new(format!("{TEMPLATE_PREFIX}{{id}}{TEMPLATE_SUFFIX}"), "template-data")
        .with_description("JSON that names the id substituted into the URI")
        .with_mime_type("application/json")]
}

pub fn is_resource(uri: &str) -> bool {
    uri.starts_with("test://")
}

/// The contents of a fixture resource, or `None` when the URI names none.
pub fn read(uri: &str) -> Option<ResourceContents> {
    match uri {
        RESOURCE_TEXT => Some(text_resource(uri, "text/plain", "This is the content of the static text resource.")),
        RESOURCE_BINARY => Some(ResourceContents::BlobResourceContents {
            uri: uri.to_owned(),
            mime_type: Some("image/png".into()),
            blob: PNG_BASE64.into(),
            meta: None,
        }),
        _ => {
            let id = uri.strip_prefix(TEMPLATE_PREFIX)?.strip_suffix(TEMPLATE_SUFFIX)?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            let body = json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
            Some(text_resource(uri, "application/json", body.to_string()))
        }
    }
}

pub fn prompts() -> Vec<Prompt> {
    let argument =
        |name: &str, description: &str| PromptArgument::new(name).with_description(description).with_required(true);
    vec![
        Prompt::new(PROMPT_SIMPLE, Some("A prompt without arguments"), None),
        Prompt::new(
            PROMPT_WITH_ARGS,
            Some("A prompt that repeats its two arguments"),
            Some(vec![argument("arg1", "First argument"), argument("arg2", "Second argument")]),
        ),
        Prompt::new(
            PROMPT_EMBEDDED_RESOURCE,
            Some("A prompt that embeds the resource it is given"),
            Some(vec![argument("resourceUri", "URI of the resource to embed")]),
        ),
        Prompt::new(PROMPT_IMAGE, Some("A prompt with an image"), None),
    ]
}

/// A fixture prompt filled in with `arguments`, or `None` when the name is not a fixture.
pub fn prompt(name: &str, arguments: &JsonObject) -> Option<GetPromptResult> {
    let arg = |key: &str| arguments.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let messages = match name {
        PROMPT_SIMPLE => vec![PromptMessage::new_text(Role::User, "This is a simple prompt for testing.")],
        PROMPT_WITH_ARGS => vec![PromptMessage::new_text(
            Role::User,
            format!("Prompt with arguments: arg1='{}', arg2='{}'", arg("arg1"), arg("arg2")),
        )],
        PROMPT_EMBEDDED_RESOURCE => {
            let uri = Some(arg("resourceUri")).filter(|u| !u.is_empty()).unwrap_or_else(|| RESOURCE_TEXT.to_owned());
            vec![
                PromptMessage::new(
                    Role::User,
                    ContentBlock::resource(text_resource(&uri, "text/plain", "Embedded resource content for testing.")),
                ),
                PromptMessage::new_text(Role::User, "Please process the embedded resource above."),
            ]
        }
        PROMPT_IMAGE => vec![
            PromptMessage::new(Role::User, ContentBlock::image(PNG_BASE64, "image/png")),
            PromptMessage::new_text(Role::User, "Please analyze the image above."),
        ],
        _ => return None,
    };
    Some(GetPromptResult::new(messages))
}
