//! The MCP tools and resources. Every handler reads the caller from the [`AuthContext`] that the
//! bearer guard put into the HTTP request; nothing trusts an identity passed as a parameter.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource, ResourceContents,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{tool, tool_handler, tool_router, ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::json;
use shared::mcp::{ProfileUpdated, UserData, UserProfile, UserStats, RESOURCE_PROFILE, RESOURCE_STATS};

use std::sync::Arc;
use std::time::Instant;

use super::user_cache::UserCache;
use super::verifier::AuthContext;
use crate::store::{now, SharedStore, User};

/// Arguments of `get_user_data`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct GetUserDataParams {
    /// `"current"` for the signed-in user, or that user's own id. Other users' data is refused.
    #[serde(default = "current")]
    pub user_id: String,
}

/// Arguments of `update_profile`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct UpdateProfileParams {
    /// The new display name: 1 to 80 characters after trimming, no control characters.
    pub display_name: String,
}

fn current() -> String {
    "current".into()
}

#[derive(Clone)]
pub struct UserDataServer {
    store: SharedStore,
    tool_router: ToolRouter<Self>,
    /// Shared by every session of one endpoint (see [`UserCache`]).
    users: Arc<UserCache>,
}

#[tool_router]
impl UserDataServer {
    /// `users` is shared by every session: build it once per endpoint, like the router.
    pub fn new(store: SharedStore, tool_router: ToolRouter<Self>, users: Arc<UserCache>) -> Self {
        Self { store, tool_router, users }
    }

    /// The tool router, built once at start and cloned into each session.
    pub fn router() -> ToolRouter<Self> {
        Self::tool_router()
    }

    #[tool(
        description = "Get the signed-in user's account record. Pass user_id \"current\" (or your own id); other users' data is refused."
    )]
    async fn get_user_data(
        &self,
        Parameters(params): Parameters<GetUserDataParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let user = self.caller(&ctx).await?;
        if params.user_id != "current" && params.user_id != user.id && params.user_id != user.username {
            return Ok(CallToolResult::error(vec![ContentBlock::text(
                "Access denied: you can only read your own data (use user_id \"current\").",
            )]));
        }
        let data = UserData {
            user_id: user.id.clone(),
            username: user.username.clone(),
            status: user.status.clone(),
            last_login: user.last_login_at.map(rfc3339),
        };
        Ok(CallToolResult::structured(json!(data)))
    }

    #[tool(
        description = "Change the signed-in user's display name (1-80 characters). Needs the user:write scope; without it the server answers 403 insufficient_scope so the client can ask for it."
    )]
    async fn update_profile(
        &self,
        Parameters(params): Parameters<UpdateProfileParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        // The guard already refused tokens without these scopes; checked again here so the tool
        // stays safe if it is ever reached another way (defence in depth).
        let needed = shared::scopes::required_for_tool(shared::mcp::TOOL_UPDATE_PROFILE);
        let scopes = &auth_context(&ctx)?.scopes;
        if let Some(missing) = needed.iter().find(|s| !scopes.contains(s)) {
            return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "insufficient_scope: this tool needs the {missing} scope."
            ))]));
        }
        let name = match shared::mcp::validate_display_name(&params.display_name) {
            Ok(name) => name,
            Err(why) => {
                return Ok(CallToolResult::error(vec![ContentBlock::text(format!("Invalid argument: {why}."))]))
            }
        };
        let user = self.caller(&ctx).await?;
        let stored = self.store.set_display_name(&user.id, &name).await;
        self.users.forget(&user.id);
        match stored {
            Ok(()) => {}
            Err(crate::error::Error::NotFound) => {
                return Err(McpError::invalid_request("the signed-in user no longer exists", None))
            }
            Err(e) => {
                tracing::error!(error = %e, "display name update failed");
                return Err(McpError::internal_error("the profile could not be updated", None));
            }
        }
        tracing::info!(user_id = %user.id, "display name changed");
        Ok(CallToolResult::structured(json!(ProfileUpdated { user_id: user.id.clone(), name })))
    }
}

/// The identity the bearer guard attached to this request.
fn auth_context(ctx: &RequestContext<RoleServer>) -> Result<&AuthContext, McpError> {
    ctx.extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<std::sync::Arc<AuthContext>>())
        .map(|ctx| &**ctx)
        .ok_or_else(|| McpError::invalid_request("not authenticated", None))
}

impl UserDataServer {
    /// The calling user's record: from the short cache, else from the store.
    async fn caller(&self, ctx: &RequestContext<RoleServer>) -> Result<Arc<User>, McpError> {
        let auth = auth_context(ctx)?;
        let asked_at = Instant::now();
        if let Some(user) = self.users.get(&auth.user_id, asked_at) {
            return Ok(user);
        }
        match self.store.find_user(&auth.user_id).await {
            Ok(Some(user)) => {
                let user = Arc::new(user);
                self.users.put(user.clone(), asked_at);
                Ok(user)
            }
            Ok(None) => Err(McpError::invalid_request("the signed-in user no longer exists", None)),
            Err(e) => {
                tracing::error!(error = %e, "user lookup failed");
                Err(McpError::internal_error("user lookup failed", None))
            }
        }
    }

    async fn resource_json(&self, uri: &str, user: &User) -> Result<serde_json::Value, McpError> {
        match uri {
            RESOURCE_PROFILE => Ok(json!(UserProfile {
                user_id: user.id.clone(),
                username: user.username.clone(),
                name: user.display_name.clone(),
                email: user.email.clone(),
                role: user.role.clone(),
                created_at: rfc3339(user.created_at),
            })),
            RESOURCE_STATS => {
                let (active_tokens, authorized_clients) =
                    self.store.token_stats(&user.id, now()).await.map_err(|e| {
                        tracing::error!(error = %e, "stats query failed");
                        McpError::internal_error("stats unavailable", None)
                    })?;
                Ok(json!(UserStats {
                    user_id: user.id.clone(),
                    logins: user.login_count,
                    active_tokens,
                    authorized_clients,
                    last_login: user.last_login_at.map(rfc3339),
                }))
            }
            _ => Err(McpError::resource_not_found(format!("no resource {uri}"), None)),
        }
    }
}

fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn resource(uri: &str, name: &str, description: &str) -> Resource {
    Resource::new(uri, name).with_description(description).with_mime_type("application/json")
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for UserDataServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(Implementation::from_build_env())
            .with_instructions(
                "Tools and resources about the signed-in user. Everything is scoped to the user of the access token."
                    .to_string(),
            )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult {
            resources: vec![
                resource(RESOURCE_PROFILE, "profile", "The signed-in user's profile"),
                resource(RESOURCE_STATS, "stats", "The signed-in user's sign-in and token statistics"),
            ],
            ..Default::default()
        })
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let user = self.caller(&ctx).await?;
        let value = self.resource_json(&request.uri, &user).await?;
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        let contents = ResourceContents::TextResourceContents {
            uri: request.uri.clone(),
            mime_type: Some("application/json".into()),
            text,
            meta: None,
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}
