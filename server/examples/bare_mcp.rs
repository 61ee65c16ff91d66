//! BENCHMARK ONLY: the server's MCP service (`UserDataServer`, the same tool router and the same
//! streamable-HTTP settings as `/mcp`) served WITHOUT the bearer guard, every request acting as
//! one fixed user. `bench/mcp_hot_path.sh` measures `/mcp` against it to price the guard. Only
//! built on request (`cargo build --example bare_mcp`), never part of the server binary.
//!
//! usage: bare_mcp --db DB --user USERNAME [--ready-file PATH]
//! Listens on 127.0.0.1:0 and prints `mcp_url=http://127.0.0.1:PORT/mcp` (also written to the
//! ready file, atomically, once listening).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use server::mcp::service::UserDataServer;
use server::mcp::verifier::AuthContext;
use server::store;
use shared::scopes::ScopeSet;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Args {
    db: Option<String>,
    user: Option<String>,
    ready_file: Option<std::path::PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => args.db = Some(value()?),
            "--user" => args.user = Some(value()?),
            "--ready-file" => args.ready_file = Some(value()?.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// Stands in for the bearer guard: the identity a valid token for the user would give, shared
/// the way the guard shares a verified token's.
async fn as_fixed_user(State(caller): State<Arc<AuthContext>>, mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(caller);
    next.run(req).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The server's own log setup, so both pay the same for it.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| server::DEFAULT_LOG_FILTER.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = parse_args()?;
    let (Some(db), Some(username)) = (args.db, args.user) else {
        return Err("usage: bare_mcp --db DB --user USERNAME [--ready-file PATH]".into());
    };
    let store = store::open(&db).await?;
    let user = store.find_user_by_username(&username).await?.ok_or(format!("no user {username:?}"))?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    // What `mcp::http_config` gives `/mcp` with the default settings: loopback Host names, no
    // extra origins, the same body limit.
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(["localhost", "127.0.0.1", "::1"].map(str::to_owned))
        .with_allowed_origins(Vec::<String>::new())
        .with_max_request_body_bytes(server::mcp::MAX_MCP_BODY_BYTES)
        .with_cancellation_token(shutdown.child_token());
    let router = UserDataServer::router();
    let users = Arc::new(server::mcp::user_cache::UserCache::default());
    let tool_store = store.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(UserDataServer::new(tool_store.clone(), router.clone(), users.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let app = Router::new().route_service(shared::urls::MCP, mcp).layer(middleware::from_fn_with_state(
        Arc::new(AuthContext {
            user_id: user.id.clone(),
            client_id: "bare-mcp-bench".to_owned(),
            scopes: ScopeSet::from_names(shared::scopes::MCP_REQUIRED),
        }),
        as_fixed_user,
    ));

    let mcp_url = format!("http://{addr}{}", shared::urls::MCP);
    println!("mcp_url={mcp_url}");
    if let Some(path) = &args.ready_file {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("{{\"pid\": {}, \"mcp_url\": \"{mcp_url}\"}}\n", std::process::id()))?;
        std::fs::rename(&tmp, path)?;
    }
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    // The server's own serve loop (TCP_NODELAY, graceful shutdown).
    server::serve(listener, app, async move { shutdown.cancelled().await }).await?;
    Ok(())
}
