//! `/mcp` as one tower service, the resource server's hot path. The other routes get CORS,
//! request spans and metrics as axum layers; `/mcp` gets the same here, in one place, because
//! each layer costs a boxed future, a cloned inner service and a dropped wrapper on every
//! request: five layers cost about a sixth of the throughput (`bench/mcp_hot_path.sh`, see
//! docs/benchmarks.md). Requests from browsers (with `Origin`) and preflights still go through
//! tower-http's CORS; other clients get only its `Vary`, which caches need either way.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::{Layer as _, Service};
use tower_http::cors::Cors;
use tracing::Instrument as _;

use rmcp::ServerHandler;

use super::guard::{self, GuardState, McpService};
use super::service::UserDataServer;
use crate::metrics::{self, Metrics};

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// What tower-http's CORS sends in `Vary` (its default list), for the requests it does not see.
const VARY: HeaderValue =
    HeaderValue::from_static("origin, access-control-request-method, access-control-request-headers");

/// The guard in front of rmcp, with rmcp's and the guard's own 413s in the RFC 6749 §5.2 shape.
struct Guarded<H> {
    guard: Arc<GuardState>,
    mcp: McpService<H>,
}

impl<H> Clone for Guarded<H> {
    fn clone(&self) -> Self {
        Self { guard: self.guard.clone(), mcp: self.mcp.clone() }
    }
}

impl<H: ServerHandler + Send + 'static> Service<Request> for Guarded<H> {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Answer {
        let this = self.clone();
        Box::pin(async move {
            let resp = guard::require_bearer(&this.guard, req, this.mcp).await;
            // A body over the limit is refused where it is read, by the guard or by rmcp
            // (`with_max_request_body_bytes`, counted while streaming, so a chunked body gets a
            // 413 too, never a 500), each with its own plain-text 413.
            if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
                return Ok(crate::error::Error::too_large().into_response());
            }
            Ok(resp)
        })
    }
}

/// The `/mcp` endpoint (or its trailing-slash twin, `route`): CORS, span, guard, rmcp, metrics.
pub struct McpEdge<H = UserDataServer> {
    edge: Arc<Edge<H>>,
}

impl<H> Clone for McpEdge<H> {
    fn clone(&self) -> Self {
        Self { edge: self.edge.clone() }
    }
}

struct Edge<H> {
    guarded: Guarded<H>,
    cors: Cors<Guarded<H>>,
    metrics: Arc<Metrics>,
    route: &'static str,
}

impl<H: ServerHandler + Send + 'static> McpEdge<H> {
    pub fn new(
        guard: Arc<GuardState>,
        mcp: McpService<H>,
        allowed_origins: &[String],
        metrics: Arc<Metrics>,
        route: &'static str,
    ) -> Self {
        let guarded = Guarded { guard, mcp };
        let cors = crate::http::cors::layer(allowed_origins).layer(guarded.clone());
        Self { edge: Arc::new(Edge { guarded, cors, metrics, route }) }
    }
}

impl<H: ServerHandler + Send + 'static> Service<Request> for McpEdge<H> {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Answer {
        let edge = self.edge.clone();
        // The resource server's request span is debug-level, like its layers' (see `rs_app`).
        let span = tracing::debug_span!("http", method = %req.method(), path = %req.uri().path());
        Box::pin(
            async move {
                let started = Instant::now();
                let from_browser = req.method() == Method::OPTIONS || req.headers().contains_key(header::ORIGIN);
                let resp = if from_browser {
                    let Ok(resp) = edge.cors.clone().call(req).await;
                    resp
                } else {
                    let Ok(mut resp) = edge.guarded.clone().call(req).await;
                    resp.headers_mut().append(header::VARY, VARY);
                    resp
                };
                if resp.status().is_server_error() {
                    tracing::error!(route = edge.route, status = resp.status().as_u16(), "MCP request failed");
                }
                edge.metrics.observe(metrics::RS, Cow::Borrowed(edge.route), &resp, started.elapsed());
                Ok(resp)
            }
            .instrument(span),
        )
    }
}
