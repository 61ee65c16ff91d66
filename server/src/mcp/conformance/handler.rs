//! The test mount's rmcp handler: the real [`UserDataServer`] (its tools and resources, run as
//! the configured test user) plus the conformance fixtures. Requests naming a fixture are
//! answered here; everything else goes to the real service unchanged.
// Logging and sampling are deprecated by SEP-2577 in the newest protocol revision; the
// 2025-11-25 scenarios this mount serves still exercise them.
#![allow(deprecated)]

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult, CompletionInfo,
    ContentBlock, CreateMessageRequestParams, ElicitRequestParams, ElicitationSchema, GetPromptRequestParams,
    GetPromptResponse, Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, LoggingLevel, LoggingMessageNotificationParam, PaginatedRequestParams, ProgressNotificationParam,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Reference, SamplingMessage,
    ServerCapabilities, ServerConfig, SetLevelRequestParams, SubscribeRequestParams, Tool, UnsubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{json, Value};

use super::fixtures;
use crate::mcp::service::UserDataServer;

/// Pause between the notifications of the logging and progress fixtures (the suite expects them
/// spread out while the tool runs).
const STEP: std::time::Duration = std::time::Duration::from_millis(50);

#[derive(Clone)]
pub struct ConformanceServer {
    inner: UserDataServer,
    /// `logging/setLevel` of this session; log notifications below it are not sent.
    log_level: Arc<Mutex<LoggingLevel>>,
}

impl ConformanceServer {
    pub fn new(inner: UserDataServer) -> Self {
        Self { inner, log_level: Arc::new(Mutex::new(LoggingLevel::Info)) }
    }

    fn logs_at(&self, level: LoggingLevel) -> bool {
        let min = *self.log_level.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        severity(level) >= severity(min)
    }

    async fn call_fixture(
        &self,
        name: &str,
        args: &serde_json::Map<String, Value>,
        ctx: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let text = |t: &str| CallToolResult::success(vec![ContentBlock::text(t)]);
        match name {
            fixtures::TOOL_SIMPLE_TEXT => text("This is a simple text response for testing."),
            fixtures::TOOL_IMAGE => {
                CallToolResult::success(vec![ContentBlock::image(fixtures::PNG_BASE64, "image/png")])
            }
            fixtures::TOOL_AUDIO => {
                CallToolResult::success(vec![ContentBlock::audio(fixtures::WAV_BASE64, "audio/wav")])
            }
            fixtures::TOOL_EMBEDDED_RESOURCE => CallToolResult::success(vec![fixtures::embedded_resource()]),
            fixtures::TOOL_MIXED => CallToolResult::success(fixtures::mixed_content()),
            fixtures::TOOL_ERROR => {
                CallToolResult::error(vec![ContentBlock::text("This tool intentionally returns an error for testing")])
            }
            fixtures::TOOL_LOGGING => {
                for message in ["Tool execution started", "Tool processing data", "Tool execution completed"] {
                    self.log(ctx, message).await;
                    tokio::time::sleep(STEP).await;
                }
                text("Logging test completed")
            }
            fixtures::TOOL_PROGRESS => {
                let token = ctx.meta.get_progress_token();
                for (progress, message) in [(0.0, "Starting"), (50.0, "Halfway"), (100.0, "Done")] {
                    if let Some(token) = &token {
                        let note = ProgressNotificationParam::new(token.clone(), progress)
                            .with_total(100.0)
                            .with_message(message);
                        if let Err(e) = ctx.peer.notify_progress(note).await {
                            tracing::debug!(error = %e, "progress notification not delivered");
                        }
                    }
                    tokio::time::sleep(STEP).await;
                }
                text("Progress test completed")
            }
            fixtures::TOOL_SAMPLING => {
                let prompt = args.get("prompt").and_then(Value::as_str).unwrap_or("Hello");
                sample(ctx, prompt).await
            }
            fixtures::TOOL_ELICITATION => {
                let message = args.get("message").and_then(Value::as_str).unwrap_or("Please provide your information");
                elicit(ctx, message, fixtures::user_info_schema(), "User response").await
            }
            fixtures::TOOL_ELICITATION_DEFAULTS => {
                let message = "Please review these values (all have defaults)";
                elicit(ctx, message, fixtures::defaults_schema(), "Elicitation completed").await
            }
            fixtures::TOOL_ELICITATION_ENUMS => {
                elicit(ctx, "Please choose", fixtures::enums_schema(), "Elicitation completed").await
            }
            _ => CallToolResult::error(vec![ContentBlock::text(format!("no fixture tool {name}"))]),
        }
    }

    async fn log(&self, ctx: &RequestContext<RoleServer>, message: &str) {
        if !self.logs_at(LoggingLevel::Info) {
            return;
        }
        let note = LoggingMessageNotificationParam::new(LoggingLevel::Info, json!(message)).with_logger("conformance");
        if let Err(e) = ctx.peer.notify_logging_message(note).await {
            tracing::debug!(error = %e, "log notification not delivered");
        }
    }
}

fn severity(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

async fn sample(ctx: &RequestContext<RoleServer>, prompt: &str) -> CallToolResult {
    let request = CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], 100);
    match ctx.peer.create_message(request).await {
        Ok(result) => {
            let reply = serde_json::to_value(&result).unwrap_or_default();
            let text = reply["content"]["text"].as_str().unwrap_or("(no text)").to_owned();
            CallToolResult::success(vec![ContentBlock::text(format!("LLM response: {text}"))])
        }
        Err(e) => CallToolResult::error(vec![ContentBlock::text(format!("Sampling failed: {e}"))]),
    }
}

async fn elicit(ctx: &RequestContext<RoleServer>, message: &str, schema: Value, label: &str) -> CallToolResult {
    let schema: ElicitationSchema = match serde_json::from_value(schema) {
        Ok(schema) => schema,
        Err(e) => return CallToolResult::error(vec![ContentBlock::text(format!("bad fixture schema: {e}"))]),
    };
    let request = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: message.to_owned(),
        requested_schema: schema,
    };
    match ctx.peer.create_elicitation(request).await {
        Ok(result) => {
            let action = serde_json::to_value(&result.action).unwrap_or_default();
            let content = result.content.unwrap_or(Value::Null);
            let line = format!("{label}: action={}, content={content}", action.as_str().unwrap_or("unknown"));
            CallToolResult::success(vec![ContentBlock::text(line)])
        }
        Err(e) => CallToolResult::error(vec![ContentBlock::text(format!("Elicitation failed: {e}"))]),
    }
}

impl ServerHandler for ConformanceServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_tools()
            .build();
        ServerConfig::new(capabilities).with_server_info(Implementation::from_build_env()).with_instructions(
            "TEST-ONLY conformance mount: the user-data service plus conformance fixtures.".to_owned(),
        )
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        fixtures::tools().into_iter().find(|t| t.name == name).or_else(|| self.inner.get_tool(name))
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let mut result = self.inner.list_tools(request, ctx).await?;
        result.tools.extend(fixtures::tools());
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if !fixtures::is_tool(&request.name) {
            return self.inner.call_tool(request, ctx).await;
        }
        let args = request.arguments.clone().unwrap_or_default();
        Ok(self.call_fixture(&request.name, &args, &ctx).await.into())
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let mut result = self.inner.list_resources(request, ctx).await?;
        result.resources.extend(fixtures::resources());
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult { resource_templates: fixtures::templates(), ..Default::default() })
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        if !fixtures::is_resource(&request.uri) {
            return self.inner.read_resource(request, ctx).await;
        }
        match fixtures::read(&request.uri) {
            Some(contents) => Ok(ReadResourceResult::new(vec![contents]).into()),
            None => Err(McpError::resource_not_found(
                format!("no resource {}", request.uri),
                Some(json!({ "uri": request.uri })),
            )),
        }
    }

    // Subscriptions (the suite uses URIs such as test://watched-resource) are accepted and
    // forgotten: nothing on this mount ever changes, so no update notification is ever due.
    async fn subscribe(
        &self,
        _request: SubscribeRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        Ok(())
    }

    async fn unsubscribe(
        &self,
        _request: UnsubscribeRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult { prompts: fixtures::prompts(), ..Default::default() })
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let arguments = request.arguments.clone().unwrap_or_default();
        fixtures::prompt(&request.name, &arguments)
            .map(Into::into)
            .ok_or_else(|| McpError::invalid_params(format!("no prompt {}", request.name), None))
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, McpError> {
        let candidates: &[&str] = match &request.r#ref {
            Reference::Prompt(_) => &["alpha", "beta", "gamma"],
            Reference::Resource(_) => &["1", "2", "3"],
            _ => &[],
        };
        let prefix = request.argument.value.as_str();
        let values = candidates.iter().filter(|v| v.starts_with(prefix)).map(|v| (*v).to_owned()).collect();
        let info = CompletionInfo::new(values).map_err(|e| McpError::internal_error(e, None))?;
        Ok(CompleteResult::new(info))
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        *self.log_level.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = request.level;
        Ok(())
    }
}
