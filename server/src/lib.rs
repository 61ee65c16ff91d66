//! OAuth 2.1 authorization server and OAuth-protected MCP resource server.
//!
//! [`as_app`] and [`rs_app`] build the two routers; [`start`] binds and serves them (tests call
//! it with port 0); `main` only parses configuration and wires these together.

pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod mcp;
pub mod metrics;
pub mod oauth;
pub mod pages;
pub mod spa;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::config::{ServeConfig, Settings};
use crate::error::Error;
use crate::http::AppState;
use crate::store::SharedStore;

/// The authorization server: discovery, registration, the login/consent pages, token and
/// introspection endpoints.
pub fn as_app(state: AppState) -> Router {
    let cors = http::cors::layer(&state.settings.allowed_origins);
    Router::new()
        .merge(http::metadata::as_routes())
        .merge(http::register::routes())
        .merge(http::token::routes())
        .merge(http::introspect::routes())
        .merge(http::revoke::routes())
        .merge(http::revocation_feed::routes())
        .merge(pages::routes())
        .merge(http::health::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state((metrics::AS, state.metrics.clone()), metrics::track))
        .layer(DefaultBodyLimit::max(http::MAX_BODY_BYTES))
        .with_state(state)
        .layer(cors)
        .layer(trace_layer())
}

/// The resource server: protected resource metadata and the guarded MCP endpoint, plus (only in
/// builds with the `test-fixtures` feature) the TEST-ONLY unauthenticated conformance mount when
/// a test user is given (never by default).
pub fn rs_app(
    state: AppState,
    shutdown: &CancellationToken,
    #[cfg(feature = "test-fixtures")] conformance: Option<mcp::conformance::TestUser>,
) -> Router {
    let cors = http::cors::layer(&state.settings.allowed_origins);
    let mut verifier = mcp::verifier::Verifier::new(&state.settings, state.denylist.clone());
    // Reading this process's own JWKS: follow its key ring directly, so a revoked key stops
    // verifying as soon as the AS drops it.
    if state.settings.jwks_is_own {
        verifier = verifier.following(state.keys.clone());
    }
    let mcp = mcp::routes(&state, Arc::new(verifier), shutdown.child_token());
    let router = Router::new().merge(http::metadata::rs_routes()).merge(http::health::routes());
    #[cfg(feature = "test-fixtures")]
    let router = match conformance {
        Some(user) => router.merge(mcp::conformance::routes(&state, user, shutdown.child_token())),
        None => router,
    };
    let tracked = (metrics::RS, state.metrics.clone());
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(tracked, metrics::track))
        .with_state(state)
        .layer(cors)
        .layer(rs_trace_layer())
        // Unlayered: `/mcp` does its CORS, span and metrics itself (see `mcp::edge`).
        .merge(mcp)
}

async fn not_found() -> Error {
    Error::NotFound
}

async fn method_not_allowed() -> Error {
    Error::OAuth {
        status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
        code: shared::oauth::ErrorCode::InvalidRequest,
        description: "this endpoint does not accept that HTTP method".into(),
    }
}

/// The log filter when `RUST_LOG` is unset. rmcp logs each MCP service's start and end at info,
/// which in stateless mode (2026-07-28) is three lines per request: kept to warnings.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,rmcp=warn";

type TraceFn = fn(&axum::http::Request<axum::body::Body>) -> tracing::Span;

/// Request logging by path only: queries may carry `state` or, if a client misbehaves, tokens.
/// The authorization server's requests get an info-level span, so every line logged while one is
/// handled names its method and path.
fn trace_layer(
) -> TraceLayer<tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>, TraceFn> {
    TraceLayer::new_for_http().make_span_with(
        (|req| tracing::info_span!("http", method = %req.method(), path = %req.uri().path())) as TraceFn,
    )
}

/// The resource server's: a debug-level span. On the MCP hot path an info span (recorded, and
/// entered at every poll of the response) cost about a sixth of the stateless throughput
/// (`bench/mcp_hot_path.sh`); the RS's own log lines carry the fields they need, and with
/// `RUST_LOG=debug` every line names its request again.
fn rs_trace_layer(
) -> TraceLayer<tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>, TraceFn> {
    TraceLayer::new_for_http().make_span_with(
        (|req| tracing::debug_span!("http", method = %req.method(), path = %req.uri().path())) as TraceFn,
    )
}

/// Serves `app` on an already-bound listener until `shutdown` completes. Sets `TCP_NODELAY`,
/// without which every SSE reply waits for a delayed ACK.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// A running server: its bound addresses and tasks.
pub struct Running {
    pub as_addr: SocketAddr,
    pub rs_addr: SocketAddr,
    pub spa_addr: Option<SocketAddr>,
    /// Where `/metrics` is served (`--metrics-addr`), if anywhere.
    pub metrics_addr: Option<SocketAddr>,
    pub settings: Arc<Settings>,
    pub tasks: Vec<JoinHandle<std::io::Result<()>>>,
    /// The live signing keys; [`oauth::keys::SigningKeys::reload`] applies a `keys` command now
    /// instead of at the next [`KEY_RELOAD_INTERVAL`] tick.
    pub keys: Arc<oauth::keys::SigningKeys>,
    /// The sign-in's password hasher (tests hold its permits to see the server busy).
    pub passwords: Arc<oauth::password::PasswordHasher>,
}

impl Running {
    /// Writes where this server listens, as JSON, atomically (a reader never sees half of it):
    /// `{"pid", "as_addr", "rs_addr", "spa_addr", "issuer", "rs_url", "mcp_url", "spa_url"}`
    /// (`spa_*` are null unless the SPA is served), and `metrics_addr` (null without
    /// `--metrics-addr`).
    pub fn write_ready_file(&self, path: &std::path::Path) -> Result<(), Error> {
        let info = serde_json::json!({
            "pid": std::process::id(),
            "as_addr": self.as_addr.to_string(),
            "rs_addr": self.rs_addr.to_string(),
            "spa_addr": self.spa_addr.map(|a| a.to_string()),
            "issuer": self.settings.issuer,
            "rs_url": self.settings.rs_base,
            "mcp_url": self.settings.resource,
            "spa_url": self.spa_addr.map(|a| format!("http://{a}")),
            "metrics_addr": self.metrics_addr.map(|a| a.to_string()),
        });
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let fail = |e: std::io::Error| Error::Config(format!("cannot write the ready file {}: {e}", path.display()));
        std::fs::write(&tmp, format!("{info:#}\n")).map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)
    }
}

/// Binds every listener, then serves until `shutdown` is cancelled.
pub async fn start(cfg: &ServeConfig, store: SharedStore, shutdown: CancellationToken) -> Result<Running, Error> {
    // A bad clients file stops the start before anything listens.
    let private_use = cfg.private_use_schemes()?;
    oauth::clients::configured::apply(&*store, cfg.clients_file.as_deref(), &private_use, store::now()).await?;
    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr).await.map_err(|e| Error::Config(format!("cannot listen on {addr}: {e}")))
    };
    let as_listener = bind(cfg.as_addr).await?;
    let rs_listener = bind(cfg.rs_addr).await?;
    let spa_listener = match cfg.spa_addr {
        Some(addr) => {
            if !cfg.spa_dir.join("index.html").is_file() {
                return Err(Error::Config(format!(
                    "{} has no index.html; run `trunk build --release` first",
                    cfg.spa_dir.display()
                )));
            }
            Some(bind(addr).await?)
        }
        None => None,
    };
    let metrics_listener = match cfg.metrics_addr {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let local = |l: &TcpListener| l.local_addr().map_err(|e| Error::Internal(e.to_string()));
    let as_addr = local(&as_listener)?;
    let rs_addr = local(&rs_listener)?;
    let spa_addr = spa_listener.as_ref().map(local).transpose()?;
    let metrics_addr = metrics_listener.as_ref().map(local).transpose()?;
    // The SPA this process serves is always an allowed origin, even on a port picked at bind.
    let mut cfg = cfg.clone();
    if let Some(addr) = spa_addr {
        cfg.allowed_origins.push(format!("http://{addr}"));
    }
    let settings = Arc::new(cfg.settings(as_addr, rs_addr, store.cookie_key(store::now()).await?)?);
    // Keys must outlive every token they signed, including those of the previous process.
    let keys =
        Arc::new(oauth::keys::SigningKeys::load_or_create(&*store, store::now(), settings.access_token_ttl).await?);
    let registrations = Arc::new(http::rate_limit::RateLimiter::new(
        "register",
        cfg.registrations_per_window,
        http::rate_limit::REGISTRATION_WINDOW_SECS,
    ));
    // Client ID Metadata Documents are resolved in the one client-lookup path.
    let documents = Arc::new(oauth::cimd::ClientDocuments::new(settings.cimd_allow_insecure_loopback));
    if settings.cimd_allow_insecure_loopback {
        tracing::warn!("client metadata documents may use http and loopback URLs: for development and tests only");
    }
    let clients = oauth::clients::directory::ClientDirectory::with_documents(documents);
    // Revocations made before this start still bind the tokens they name: load them first.
    let denylist = Arc::new(mcp::denylist::Denylist::default());
    let keep = mcp::denylist::keep_secs(&settings);
    let source = mcp::denylist::Source::from_settings(&settings, &store);
    denylist.load(&source, keep).await?;
    let signal = store.revocation_signal();
    tokio::spawn(mcp::denylist::follow(denylist.clone(), source, signal, keep, shutdown.clone()));
    let passwords = Arc::new(match cfg.password_hashing_concurrency {
        Some(n) => oauth::password::PasswordHasher::new(n.into()),
        None => oauth::password::PasswordHasher::for_this_machine(),
    });
    let state = AppState {
        store: store.clone(),
        settings: settings.clone(),
        keys: keys.clone(),
        clients,
        registrations,
        denylist,
        passwords: passwords.clone(),
        metrics: Arc::new(metrics::Metrics::default()),
    };

    #[cfg(feature = "test-fixtures")]
    let conformance = match &cfg.conformance_unauthenticated_mcp {
        Some(username) => Some(mcp::conformance::TestUser::resolve(&*store, username).await?),
        None => None,
    };

    let stop = |t: &CancellationToken| {
        let t = t.clone();
        async move { t.cancelled().await }
    };
    #[cfg(feature = "test-fixtures")]
    let rs = rs_app(state.clone(), &shutdown, conformance);
    #[cfg(not(feature = "test-fixtures"))]
    let rs = rs_app(state.clone(), &shutdown);
    let mut tasks = vec![
        tokio::spawn(serve(as_listener, as_app(state.clone()), stop(&shutdown))),
        tokio::spawn(serve(rs_listener, rs, stop(&shutdown))),
    ];
    if let Some(listener) = metrics_listener {
        tasks.push(tokio::spawn(serve(listener, metrics::routes(state.metrics.clone()), stop(&shutdown))));
    }
    if let Some(listener) = spa_listener {
        tasks.push(tokio::spawn(serve(listener, spa::routes(&cfg.spa_dir), stop(&shutdown))));
    }
    tokio::spawn(key_reload_loop(store.clone(), keys.clone(), shutdown.clone()));
    let every = std::time::Duration::from_secs(cfg.purge_interval_secs.max(1));
    tokio::spawn(purge_loop(store, settings.clone(), keep, every, shutdown));
    let running = Running { as_addr, rs_addr, spa_addr, metrics_addr, settings, tasks, keys, passwords };
    if let Some(path) = &cfg.ready_file {
        running.write_ready_file(path)?;
    }
    Ok(running)
}

/// How soon a `server keys rotate` or `revoke` run by another process takes effect here (the
/// resource server in this process follows the same reload).
pub const KEY_RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

async fn key_reload_loop(store: SharedStore, keys: Arc<oauth::keys::SigningKeys>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(KEY_RELOAD_INTERVAL);
    tick.tick().await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                if let Err(e) = keys.reload(&*store, store::now()).await {
                    tracing::warn!(error = %e, "reloading the signing keys failed");
                }
            }
        }
    }
}

/// Deletes, every `--purge-interval-secs` (default a minute), what has expired, audit events past `--audit-retention-days`, and
/// revocations older than `revocation_keep` seconds (no token they name can still be valid).
async fn purge_loop(
    store: SharedStore,
    settings: Arc<Settings>,
    revocation_keep: i64,
    every: std::time::Duration,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                let now = store::now();
                match store.purge_expired(now, settings.unused_client_ttl).await {
                    Ok(purged) => tracing::debug!(?purged, "purged expired rows"),
                    Err(e) => tracing::warn!(error = %e, "purging expired requests failed"),
                }
                if let Err(e) = store.purge_audit(now, settings.audit_retention_secs).await {
                    tracing::warn!(error = %e, "purging old audit events failed");
                }
                if let Err(e) = store.purge_revocations(now - revocation_keep, now).await {
                    tracing::warn!(error = %e, "purging old revocations failed");
                }
            }
        }
    }
}
