//! TEST ONLY: `serve --conformance-unauthenticated-mcp <USERNAME>` mounts the MCP service a second
//! time at [`PATH`], WITHOUT the bearer guard, acting as that one existing user, so the official
//! MCP conformance suite (`conformance server --url ...`, which cannot obtain OAuth tokens) can
//! exercise the protocol. The mount adds the suite's fixture tools, resources and prompts
//! ([`fixtures`]) and leaves `/mcp` and its service unchanged. Without the flag nothing here is
//! routed (see `rs_app`); with it the server logs a warning at start.

mod fixtures;
mod handler;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::StreamableHttpService;
use shared::scopes::ScopeSet;
use tower_http::limit::RequestBodyLimitLayer;

use super::service::UserDataServer;
use super::verifier::AuthContext;
use crate::error::Error;
use crate::http::AppState;
use crate::store::Store;

/// Where the unauthenticated test mount lives (only with the flag).
pub const PATH: &str = "/conformance/mcp";
/// The `client_id` the test mount's requests carry in their [`AuthContext`].
pub const CLIENT_ID: &str = "conformance-test-mount";

/// The user every request on the test mount acts as.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub user_id: String,
}

impl TestUser {
    /// Looks the configured username up; an unknown name stops the server from starting.
    pub async fn resolve(store: &dyn Store, username: &str) -> Result<Self, Error> {
        match store.find_user_by_username(username).await? {
            Some(user) => Ok(Self { user_id: user.id }),
            None => Err(Error::Config(format!(
                "--conformance-unauthenticated-mcp names user {username:?}, which does not exist (create it with `server user add`)"
            ))),
        }
    }
}

/// [`PATH`]: the MCP service plus fixtures, as `user`, with no token check.
pub fn routes(state: &AppState, user: TestUser, shutdown: tokio_util::sync::CancellationToken) -> Router<AppState> {
    tracing::warn!(
        path = PATH,
        user_id = %user.user_id,
        "TEST ONLY: serving the MCP service WITHOUT authentication (--conformance-unauthenticated-mcp); never use this in production"
    );
    let store = state.store.clone();
    let router = UserDataServer::router();
    let users = Arc::new(super::user_cache::UserCache::default());
    // The suite's DNS-rebinding scenario sends `Origin: <the URL under test>`: this mount also
    // accepts the resource server's own origin (the server may have bound port 0, so no script
    // could have configured it). `/mcp` keeps the configured list only.
    let mut origins = state.settings.allowed_origins.clone();
    origins.push(state.settings.rs_base.clone());
    let config = super::http_config(&state.settings, shutdown).with_allowed_origins(origins);
    let mcp = StreamableHttpService::new(
        move || Ok(handler::ConformanceServer::new(UserDataServer::new(store.clone(), router.clone(), users.clone()))),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(PATH, mcp)
        .layer(RequestBodyLimitLayer::new(super::MAX_MCP_BODY_BYTES))
        .layer(middleware::from_fn_with_state(user, act_as_test_user))
}

/// Stands in for the bearer guard: every request is the test user with the basic MCP scope.
async fn act_as_test_user(State(user): State<TestUser>, mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(std::sync::Arc::new(AuthContext {
        user_id: user.user_id,
        client_id: CLIENT_ID.to_owned(),
        scopes: ScopeSet::from_names(shared::scopes::MCP_REQUIRED),
    }));
    next.run(req).await
}
