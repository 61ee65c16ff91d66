//! Prometheus metrics, served in the text exposition format on their own listener
//! (`--metrics-addr`, off unless given). One [`Metrics`] per server, reachable from
//! `AppState`; no global registry. Labels are fixed vocabularies (listener, route *pattern*,
//! status code), never a raw path, query, token or code.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Which listener answered: the authorization server or the resource server.
pub type Listener = &'static str;
pub const AS: Listener = "as";
pub const RS: Listener = "rs";

/// Route label of requests that matched no route (the fallback), so scanners cannot make new
/// label values.
const UNMATCHED: &str = "unmatched";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    listener: &'static str,
    route: Cow<'static, str>,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    listener: &'static str,
    route: Cow<'static, str>,
}

/// Set on a response made from a storage failure ([`crate::error::Error::Store`]), so the HTTP
/// layer, which holds the metrics, counts it.
#[derive(Clone, Copy, Debug)]
pub struct StoreFailure;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pub tokens_issued: Counter,
    pub token_refreshes: Counter,
    pub revocations: Counter,
    pub failed_sign_ins: Counter,
    /// MCP sessions whose owner the resource server tracks (see `mcp::sessions`).
    pub mcp_sessions: Gauge,
    pub store_errors: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by listener, route and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to the response head, by listener and route",
            latency.clone(),
        );
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let tokens_issued = counter(&mut registry, "tokens_issued", "Token responses to authorization-code grants");
        let token_refreshes = counter(&mut registry, "token_refreshes", "Token responses to refresh-token grants");
        let revocations = counter(&mut registry, "revocations", "Grants or tokens revoked by clients or users");
        let failed_sign_ins =
            counter(&mut registry, "failed_sign_ins", "Sign-ins refused for a wrong password or account");
        let store_errors = counter(&mut registry, "store_errors", "Requests that failed on a storage error");
        let mcp_sessions = Gauge::default();
        registry.register("mcp_sessions_active", "MCP sessions tracked with their owner", mcp_sessions.clone());
        Self {
            registry,
            requests,
            latency,
            tokens_issued,
            token_refreshes,
            revocations,
            failed_sign_ins,
            mcp_sessions,
            store_errors,
        }
    }
}

impl Metrics {
    /// The whole registry in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics failed");
        }
        out
    }
}

/// Middleware (added with `Router::layer`, so the matched route is known) counting every
/// request of `listener` and timing it to its response head.
pub async fn track(State((listener, metrics)): State<(Listener, Arc<Metrics>)>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or(UNMATCHED, MatchedPath::as_str).to_owned();
    let started = Instant::now();
    let resp = next.run(req).await;
    metrics.observe(listener, Cow::Owned(route), &resp, started.elapsed());
    resp
}

impl Metrics {
    /// Counts one answered request of `route` (a route *pattern*) and its time to the response
    /// head. A `'static` route (the MCP endpoint's) is counted without allocating.
    pub fn observe(&self, listener: Listener, route: Cow<'static, str>, resp: &Response, elapsed: Duration) {
        if resp.extensions().get::<StoreFailure>().is_some() {
            self.store_errors.inc();
        }
        let status = resp.status().as_u16();
        self.latency.get_or_create(&RouteLabels { listener, route: route.clone() }).observe(elapsed.as_secs_f64());
        self.requests.get_or_create(&RequestLabels { listener, route, status }).inc();
    }
}

/// The metrics listener's one route, `GET /metrics`.
pub fn routes(metrics: Arc<Metrics>) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state(metrics)
}

async fn scrape(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        metrics.encode(),
    )
        .into_response()
}
