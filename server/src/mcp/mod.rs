//! The MCP resource server: a bearer-token guard in front of an rmcp streamable-HTTP service.

#[cfg(feature = "test-fixtures")]
pub mod conformance;
pub mod denylist;
pub mod edge;
#[cfg(feature = "test-fixtures")]
pub mod fixture_server;
pub mod guard;
pub mod introspection_cache;
pub mod jwks;
pub mod operation;
pub mod service;
pub mod session_store;
pub mod sessions;
pub mod token_cache;
pub mod user_cache;
pub mod verifier;

use std::sync::Arc;

use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::http::AppState;

/// Largest MCP request body accepted.
pub const MAX_MCP_BODY_BYTES: usize = 256 * 1024;

/// `/mcp`, guarded. The tool router is built once here and cloned into each session. A router
/// without state or layers: `rs_app` merges it after layering the other routes, since `edge`
/// does that work for `/mcp` itself.
pub fn routes(
    state: &AppState,
    verifier: Arc<verifier::Verifier>,
    shutdown: tokio_util::sync::CancellationToken,
) -> Router {
    let settings = &state.settings;
    let mut config = http_config(settings, shutdown);
    // Sessions survive a hop to another replica (and this process's restart).
    config.session_store = Some(Arc::new(session_store::SharedSessions::new(state.store.clone())));
    let store = state.store.clone();
    let router = service::UserDataServer::router();
    let users = Arc::new(user_cache::UserCache::default());
    let manager = Arc::new(LocalSessionManager::default());
    let mcp = StreamableHttpService::new(
        move || Ok(service::UserDataServer::new(store.clone(), router.clone(), users.clone())),
        manager.clone(),
        config.clone(),
    );
    let guard = Arc::new(guard::GuardState {
        settings: settings.clone(),
        verifier,
        sessions: Arc::new(sessions::SessionOwners::default().counted_by(state.metrics.mcp_sessions.clone())),
        store: state.store.clone(),
        manager,
    });
    let edge = |route: &'static str| {
        edge::McpEdge::new(guard.clone(), mcp.clone(), &settings.allowed_origins, state.metrics.clone(), route)
    };
    // `…/mcp/` too: RFC 8707 lets a client name the resource with a trailing slash (the AS
    // accepts it as `…/mcp`), and such a client then sends its requests there; same guard.
    let endpoints =
        Router::new().route_service(MCP_ROUTE, edge(MCP_ROUTE)).route_service(MCP_SLASH_ROUTE, edge(MCP_SLASH_ROUTE));
    // TEST-ONLY: another shape of MCP service behind the same guard, for the SPA console's specs.
    #[cfg(feature = "test-fixtures")]
    if settings.fixture_mcp {
        let fixture = StreamableHttpService::new(|| Ok(fixture_server::FixtureServer), guard.manager.clone(), config);
        let edge = edge::McpEdge::new(guard, fixture, &settings.allowed_origins, state.metrics.clone(), MCP_ROUTE);
        return Router::new().route_service(MCP_ROUTE, edge);
    }
    endpoints
}

/// The routes (and metrics labels) of the MCP endpoint.
const MCP_ROUTE: &str = shared::urls::MCP;
const MCP_SLASH_ROUTE: &str = "/mcp/";

/// Streamable-HTTP settings shared by `/mcp` and the test-only conformance mount: Host and Origin
/// allow-lists (DNS rebinding protection), body limit, shutdown.
fn http_config(
    settings: &crate::config::Settings,
    shutdown: tokio_util::sync::CancellationToken,
) -> StreamableHttpServerConfig {
    let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if let Ok(u) = url::Url::parse(&settings.rs_base) {
        if let Some(h) = u.host_str() {
            hosts.push(h.trim_start_matches('[').trim_end_matches(']').to_owned());
        }
    }
    StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(settings.allowed_origins.clone())
        .with_max_request_body_bytes(MAX_MCP_BODY_BYTES)
        .with_cancellation_token(shutdown)
}
