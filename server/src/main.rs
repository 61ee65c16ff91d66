//! Entry point: parse configuration, open the store, and either serve or run a CLI command.

use clap::Parser as _;
use server::config::{Cli, Command, KeysCommand, LogFormat, ServeConfig, UserCommand};
use server::store;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    // Parsing logs nothing (clap prints its own errors), so the subscriber can wait for the
    // parsed `--log-format`.
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| server::DEFAULT_LOG_FILTER.into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().with_ansi(false).init(),
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), server::error::Error> {
    let store = store::open(&cli.db).await?;
    match cli.command {
        Some(Command::User(UserCommand::Disable { username })) => {
            println!("{}", server::cli::user_disable(&*store, &username).await?);
            Ok(())
        }
        Some(Command::User(UserCommand::Add(args))) => {
            println!("{}", server::cli::user_add(&*store, args).await?);
            Ok(())
        }
        Some(Command::Keys(KeysCommand::Rotate)) => {
            println!("{}", server::cli::keys_rotate(&*store).await?);
            Ok(())
        }
        Some(Command::Keys(KeysCommand::Revoke { kid })) => {
            println!("{}", server::cli::keys_revoke(&*store, &kid).await?);
            Ok(())
        }
        Some(Command::Keys(KeysCommand::List)) => {
            print!("{}", server::cli::keys_list(&*store).await?);
            Ok(())
        }
        Some(Command::Serve(cfg)) => serve(*cfg, store).await,
        None => serve(ServeConfig::default(), store).await,
    }
}

async fn serve(cfg: ServeConfig, store: store::SharedStore) -> Result<(), server::error::Error> {
    let shutdown = CancellationToken::new();
    // Only the backend's name: the --db URL may carry a password.
    let backend = store.backend().name();
    let running = server::start(&cfg, store, shutdown.clone()).await?;
    println!("storage: {backend}");
    println!("authorization server listening on {} (issuer {})", running.as_addr, running.settings.issuer);
    println!("MCP resource server listening on {} (resource {})", running.rs_addr, running.settings.resource);
    if let Some(addr) = running.spa_addr {
        println!("browser app served on http://{addr}/");
    }
    let signal = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let term = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! { _ = ctrl_c => {}, () = term => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    };
    signal.await;
    tracing::info!("shutting down");
    shutdown.cancel();
    for task in running.tasks {
        let _ = task.await;
    }
    Ok(())
}
