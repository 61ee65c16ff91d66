//! TEST ONLY: `serve --fixture-mcp` serves THIS service on `/mcp` instead of the user-data one,
//! behind the same bearer guard, so the SPA's end-to-end specs can show that its console works
//! against an MCP server shaped unlike ours: a tool whose input schema has an enum, an integer
//! and a boolean, one that returns `structuredContent`, one that returns an image, a resource and
//! a prompt with arguments. Nothing here touches user data. Only in builds with `test-fixtures`.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams, GetPromptResponse,
    GetPromptResult, Implementation, JsonObject, ListPromptsResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, Prompt, PromptArgument, PromptMessage, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Resource, ResourceContents, Role, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{json, Value};

/// A 1x1 blue PNG.
const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgaPgPAAIDAYAkYfWXAAAAAElFTkSuQmCC";

pub const TOOL_CONFIGURE: &str = "configure_widget";
pub const TOOL_MEASURE: &str = "measure_box";
pub const TOOL_PICTURE: &str = "draw_picture";
pub const RESOURCE_NOTES: &str = "fixture://notes";
pub const PROMPT_GREET: &str = "greet";

fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

fn tools() -> Vec<Tool> {
    vec![
        Tool::new(
            TOOL_CONFIGURE,
            "Echoes a widget configuration (enum, integer, boolean inputs)",
            object(json!({
                "type": "object",
                "properties": {
                    "color": { "type": "string", "enum": ["red", "green", "blue"], "description": "Widget colour" },
                    "count": { "type": "integer", "minimum": 1, "description": "How many" },
                    "loud": { "type": "boolean", "description": "Shout the answer" },
                    "label": { "type": "string", "description": "Optional label" },
                    "tags": { "type": "array", "items": { "type": "string" }, "description": "Free-form tags" }
                },
                "required": ["color", "count"]
            })),
        ),
        Tool::new(
            TOOL_MEASURE,
            "Returns the box's measurements as structured content",
            object(json!({
                "type": "object",
                "properties": { "side": { "type": "number", "description": "Side length in cm" } },
                "required": ["side"]
            })),
        ),
        Tool::new(TOOL_PICTURE, "Returns a 1x1 PNG image", object(json!({ "type": "object", "properties": {} }))),
    ]
}

fn configure(args: &JsonObject) -> CallToolResult {
    let (Some(color), Some(count)) =
        (args.get("color").and_then(Value::as_str), args.get("count").and_then(Value::as_i64))
    else {
        return CallToolResult::error(vec![ContentBlock::text("color (string) and count (integer) are required")]);
    };
    let loud = args.get("loud").and_then(Value::as_bool).unwrap_or(false);
    let mut text = format!("{count} {color} widget(s), loud={loud}");
    if loud {
        text = text.to_uppercase();
    }
    // `tags` is the field the console can only offer as raw JSON.
    if let Some(tags) = args.get("tags").filter(|t| !t.is_null()) {
        text = format!("{text}; tags={tags}");
    }
    CallToolResult::success(vec![ContentBlock::text(text)])
}

fn measure(args: &JsonObject) -> CallToolResult {
    let Some(side) = args.get("side").and_then(Value::as_f64) else {
        return CallToolResult::error(vec![ContentBlock::text("side (number) is required")]);
    };
    CallToolResult::structured(json!({
        "side_cm": side,
        "area_cm2": side * side,
        "volume_cm3": side * side * side,
        "note": "a long value that must wrap in the console rather than overflow its column: ".to_owned()
            + &"0123456789".repeat(20),
    }))
}

fn prompts() -> Vec<Prompt> {
    vec![Prompt::new(
        PROMPT_GREET,
        Some("Greets someone by name"),
        Some(vec![
            PromptArgument::new("name").with_description("Who to greet").with_required(true),
            PromptArgument::new("tone").with_description("formal or casual").with_required(false),
        ]),
    )]
}

/// The test-only fixture service (see the module comment).
#[derive(Clone, Default)]
pub struct FixtureServer;

impl ServerHandler for FixtureServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().build();
        ServerConfig::new(capabilities).with_server_info(Implementation::new("fixture-mcp", "9.9.9"))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult { tools: tools(), ..Default::default() })
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = request.arguments.clone().unwrap_or_default();
        let result = match request.name.as_ref() {
            TOOL_CONFIGURE => configure(&args),
            TOOL_MEASURE => measure(&args),
            TOOL_PICTURE => CallToolResult::success(vec![ContentBlock::image(PNG_BASE64, "image/png")]),
            other => return Err(McpError::invalid_params(format!("no tool {other}"), None)),
        };
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let notes =
            Resource::new(RESOURCE_NOTES, "notes").with_description("Fixture notes").with_mime_type("text/plain");
        Ok(ListResourcesResult { resources: vec![notes], ..Default::default() })
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        if request.uri != RESOURCE_NOTES {
            return Err(McpError::resource_not_found(format!("no resource {}", request.uri), None));
        }
        let contents = ResourceContents::TextResourceContents {
            uri: RESOURCE_NOTES.to_owned(),
            mime_type: Some("text/plain".to_owned()),
            text: "These are the fixture server's notes.".to_owned(),
            meta: None,
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult { prompts: prompts(), ..Default::default() })
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        if request.name != PROMPT_GREET {
            return Err(McpError::invalid_params(format!("no prompt {}", request.name), None));
        }
        let args = request.arguments.clone().unwrap_or_default();
        let Some(name) = args.get("name").and_then(Value::as_str) else {
            return Err(McpError::invalid_params("the argument name is required", None));
        };
        let greeting = match args.get("tone").and_then(Value::as_str) {
            Some("formal") => format!("Good day, {name}."),
            _ => format!("Hi {name}!"),
        };
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, greeting)]).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(result: &CallToolResult) -> String {
        serde_json::to_value(result).unwrap_or_default()["content"][0]["text"].as_str().unwrap_or_default().to_owned()
    }

    #[test]
    fn the_schema_has_an_enum_an_integer_and_a_boolean_and_requires_two() {
        let tools = tools();
        let schema = serde_json::to_value(&tools[0].input_schema).unwrap_or_default();
        assert_eq!(schema["properties"]["color"]["enum"], json!(["red", "green", "blue"]));
        assert_eq!(schema["properties"]["count"]["type"], "integer");
        assert_eq!(schema["properties"]["loud"]["type"], "boolean");
        assert_eq!(schema["required"], json!(["color", "count"]));
    }

    #[test]
    fn configure_echoes_its_inputs_and_refuses_missing_ones() {
        let args = object(json!({ "color": "red", "count": 2, "loud": true, "tags": ["x"] }));
        assert_eq!(text_of(&configure(&args)), "2 RED WIDGET(S), LOUD=TRUE; tags=[\"x\"]");
        assert_eq!(configure(&object(json!({ "color": "red" }))).is_error, Some(true));
    }

    #[test]
    fn measure_returns_structured_content() {
        let result = measure(&object(json!({ "side": 3.0 })));
        let structured = result.structured_content.unwrap_or_default();
        assert_eq!(structured["area_cm2"], json!(9.0));
    }
}
