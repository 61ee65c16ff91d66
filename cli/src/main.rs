//! `mcp-auth`: a native MCP client that signs in to an OAuth-protected MCP server (RFC 8252:
//! system browser + loopback redirect), keeps the credentials per issuer, and calls tools,
//! reads resources, shows who it is signed in as, and logs out (RFC 7009). The OAuth and MCP
//! logic lives in `client-core`; this crate is the terminal, the files and the sockets.

mod browser;
mod commands;
mod conformance;
mod error;
mod http;
mod loopback;
mod session;
mod store;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::CliError;

#[derive(Parser, Debug)]
#[command(name = "mcp-auth", version, about = "Sign in to an OAuth-protected MCP server and call its tools")]
struct Cli {
    /// Print every HTTP exchange of the flow to stderr (secrets redacted).
    #[arg(long, global = true)]
    trace: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone, Default)]
struct Target {
    /// The MCP server URL (default: the last one logged in to).
    #[arg(long)]
    url: Option<String>,
    /// If the server asks for more scopes (403 insufficient_scope), print the authorization URL
    /// on stderr instead of opening a browser.
    #[arg(long)]
    no_browser: bool,
}

impl Target {
    fn opts(self, trace: bool) -> commands::Opts {
        commands::Opts { trace, url: self.url, no_browser: self.no_browser }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Sign in (browser + loopback redirect) and store the credentials for this server's issuer.
    Login {
        /// The MCP server URL, e.g. https://mcp.example.com/mcp
        mcp_url: String,
        /// Print the authorization URL on stdout instead of opening a browser.
        #[arg(long)]
        no_browser: bool,
        /// A pre-registered client_id (default: CIMD if supported and given, else dynamic registration).
        #[arg(long, env = "MCP_AUTH_CLIENT_ID")]
        client_id: Option<String>,
        /// The pre-registered client's secret, if it is confidential.
        #[arg(long, env = "MCP_AUTH_CLIENT_SECRET", hide_env_values = true)]
        client_secret: Option<String>,
        /// An https Client ID Metadata Document URL to use as client_id where the AS supports it.
        #[arg(long)]
        client_metadata_url: Option<String>,
        /// Seconds to wait for the browser to come back.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// List the server's tools.
    Tools {
        #[command(flatten)]
        target: Target,
    },
    /// Call a tool and print its result as JSON.
    Call {
        tool: String,
        /// The tool's arguments as a JSON object.
        args: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Read a resource and print it as JSON.
    Read {
        uri: String,
        #[command(flatten)]
        target: Target,
    },
    /// Show who the stored credentials belong to: issuer, scopes, expiry (and the server's view).
    Whoami {
        #[command(flatten)]
        target: Target,
    },
    /// Revoke the stored tokens at the authorization server (RFC 7009) and forget them.
    Logout {
        #[command(flatten)]
        target: Target,
    },
    /// The MCP conformance suite's client leg (`conformance client --command "mcp-auth conformance"`).
    #[command(hide = true)]
    Conformance { url: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&CliError::Other(format!("could not start: {e}"))),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &CliError) -> ExitCode {
    // One line, whatever the message holds.
    let line = e.to_string().replace('\n', " ");
    eprintln!("mcp-auth: error: {line}");
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let trace = cli.trace;
    if let Command::Conformance { url } = cli.command {
        return conformance::run(&url, trace).await;
    }
    let store = store::Store::from_env()?;
    match cli.command {
        Command::Login { mcp_url, no_browser, client_id, client_secret, client_metadata_url, timeout } => {
            let args = commands::LoginArgs {
                mcp_url,
                no_browser,
                client_id,
                client_secret,
                client_metadata_url,
                timeout: std::time::Duration::from_secs(timeout),
            };
            commands::login(store, trace, args).await
        }
        Command::Tools { target } => commands::tools(store, &target.opts(trace)).await,
        Command::Call { tool, args, target } => {
            commands::call(store, &target.opts(trace), &tool, args.as_deref()).await
        }
        Command::Read { uri, target } => commands::read(store, &target.opts(trace), &uri).await,
        Command::Whoami { target } => commands::whoami(store, &target.opts(trace)).await,
        Command::Logout { target } => commands::logout(store, &target.opts(trace)).await,
        Command::Conformance { .. } => Ok(()),
    }
}
