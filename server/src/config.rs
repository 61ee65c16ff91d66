//! Command-line and environment configuration: flags win over environment variables, which win
//! over a `.env` file (loaded in `main`), which wins over the defaults here.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};
use url::Url;

use crate::error::Error;

#[derive(Debug, Parser)]
#[command(name = "server", version, about = "OAuth 2.1 authorization server and OAuth-protected MCP server")]
pub struct Cli {
    /// Database: a SQLite file (created on first run) or `sqlite:` URL, or a PostgreSQL URL
    /// (`postgres://user:password@host/db`: the database must exist; replicas share one).
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "data/mcp-auth.db")]
    pub db: String,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Log lines as `text` (for people) or `json` (one object a line, for log collectors).
    #[arg(long, global = true, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the authorization server and the MCP resource server (the default).
    Serve(Box<ServeConfig>),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the keys that sign access tokens.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key active. Old keys stay published in the JWKS until the tokens they
    /// signed have expired; a running server picks the new key up within seconds.
    Rotate,
    /// List the stored signing keys (never their private parts).
    List,
    /// Withdraw a key at once (after a compromise): it leaves the JWKS and never signs again;
    /// if it was the active key, a new one takes over. A running server follows within 10 s.
    Revoke {
        /// The key's `kid`, as `keys list` shows it.
        kid: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (or, with --replace, reset an existing user's password, which also ends
    /// their login sessions and every grant they gave).
    Add(UserAdd),
    /// Disable a user: sign-in is refused and their login sessions and grants end at once.
    Disable { username: String },
}

#[derive(Debug, Args)]
pub struct UserAdd {
    pub username: String,
    /// Read the password from standard input (preferred: it stays out of shell history).
    #[arg(long, conflicts_with = "password")]
    pub password_stdin: bool,
    #[arg(long)]
    pub password: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// If the user exists, set this password (and name/email when given) instead of failing.
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Listen address of the authorization server.
    #[arg(long, env = "AS_ADDR", default_value = "127.0.0.1:9000")]
    pub as_addr: SocketAddr,
    /// Listen address of the MCP resource server.
    #[arg(long, env = "RS_ADDR", default_value = "127.0.0.1:8000")]
    pub rs_addr: SocketAddr,
    /// Public base URL of the authorization server; it is the exact `issuer`. Default http://<as-addr>.
    #[arg(long, env = "AS_PUBLIC_URL")]
    pub as_public_url: Option<Url>,
    /// Public base URL of the resource server. Default http://<rs-addr>.
    #[arg(long, env = "RS_PUBLIC_URL")]
    pub rs_public_url: Option<Url>,
    /// Browser origins allowed by CORS (and by the MCP endpoint's Origin check), comma-separated.
    #[arg(
        long,
        env = "ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8080,http://localhost:8080"
    )]
    pub allowed_origins: Vec<String>,
    /// Optionally serve the built SPA (`trunk build` output) on this address.
    #[arg(long, env = "SPA_ADDR")]
    pub spa_addr: Option<SocketAddr>,
    #[arg(long, env = "SPA_DIR", default_value = "dist")]
    pub spa_dir: std::path::PathBuf,
    /// Lifetime of access tokens, in seconds. Short, because the resource server verifies them
    /// locally and a revoked JWT stays valid there until it expires.
    #[arg(long, env = "ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: u64,
    /// Lifetime of refresh tokens, in seconds (each use rotates the token and restarts this).
    #[arg(long, env = "REFRESH_TOKEN_TTL", default_value_t = 14 * 24 * 3600)]
    pub refresh_token_ttl: u64,
    /// Reverse proxies (addresses or CIDR blocks, comma-separated) whose `X-Forwarded-For` header
    /// names the real client. Empty (the default): the header is ignored.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<crate::http::client_addr::IpNetwork>,
    /// Failed sign-ins one address may make (across all usernames) before each further one
    /// doubles a lock-out window for that address.
    #[arg(long, env = "LOGIN_FAILURES_PER_ADDRESS", default_value_t = 20)]
    pub login_failures_per_address: u32,
    /// Pre-registered clients: a JSON array of RFC 7591 client metadata with fixed `client_id`s
    /// (see docs/clients.example.json). Checked at start; a bad entry stops the server. Without
    /// it there are no configured clients (ones from an earlier file are removed).
    #[arg(long, env = "CLIENTS_FILE")]
    pub clients_file: Option<std::path::PathBuf>,
    /// Private-use redirect URI schemes accepted by exact name for any client, comma-separated
    /// (RFC 8252 §7.1 asks for reverse domain names like `com.example.app`, which native clients
    /// may always use; Cursor registers `cursor://…`). Never http(s), javascript, data, file…
    #[arg(long, env = "PRIVATE_USE_SCHEMES", value_delimiter = ',', default_value = "cursor")]
    pub private_use_schemes: Vec<String>,
    /// Dynamic registrations one address may make per 10 minutes.
    #[arg(long, env = "REGISTRATIONS_PER_WINDOW", default_value_t = 100)]
    pub registrations_per_window: u32,
    /// Registered clients that never obtained a token are deleted after this many seconds.
    #[arg(long, env = "UNUSED_CLIENT_TTL", default_value_t = 24 * 3600)]
    pub unused_client_ttl: u64,
    /// Lifetime of authorization codes, in seconds.
    #[arg(long, env = "CODE_TTL", default_value_t = 300)]
    pub code_ttl: u64,
    /// Secret the resource server uses to authenticate to the introspection endpoint. When unset,
    /// a random one is made at start (both roles run in this process).
    #[arg(long, env = "INTROSPECTION_SECRET", hide_env_values = true)]
    pub introspection_secret: Option<String>,
    /// How the resource server checks tokens: `jwt` verifies signatures locally against the
    /// authorization server's JWKS (fast); `introspection` asks the authorization server (sees
    /// revocation within --introspection-cache-secs; works with third-party authorization servers).
    #[arg(long, env = "TOKEN_VERIFICATION", value_enum, default_value_t = Verification::Jwt)]
    pub token_verification: Verification,
    /// Clock skew (seconds) the resource server tolerates on a JWT's `exp`, `nbf` and `iat`, for
    /// an authorization server on another machine (at most 3600). 0 when both share one clock.
    #[arg(
        long,
        env = "JWT_LEEWAY_SECS",
        default_value_t = crate::oauth::jwt::DEFAULT_LEEWAY.unsigned_abs(),
        value_parser = clap::value_parser!(u64).range(0..=3600)
    )]
    pub jwt_leeway_secs: u64,
    /// Where the resource server fetches signing keys. Default: `<issuer>/jwks`.
    #[arg(long, env = "JWKS_URL")]
    pub jwks_url: Option<Url>,
    /// Where the resource server introspects tokens. Default: this process's authorization server.
    #[arg(long, env = "INTROSPECTION_URL")]
    pub introspection_url: Option<Url>,
    /// A resource server deployed apart from this authorization server (its own database) learns
    /// of revocations from the AS's feed at this URL (`<issuer>/revocations`), authenticated with
    /// the introspection secret. Default: read the revocation log from the shared database.
    #[arg(long, env = "REVOCATION_FEED_URL")]
    pub revocation_feed_url: Option<Url>,
    /// How often (seconds, 1–5) the resource server polls --revocation-feed-url: the bound on how
    /// long a revoked token keeps working there.
    #[arg(long, env = "REVOCATION_POLL_SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=5))]
    pub revocation_poll_secs: u64,
    /// In introspection mode, how long (seconds) the resource server reuses a positive answer for
    /// the same token; a revocation reaches it within this time. 0: introspect every request.
    #[arg(long, env = "INTROSPECTION_CACHE_SECS", default_value_t = 5)]
    pub introspection_cache_secs: u32,
    /// TEST ONLY, never in production: also serve the MCP service WITHOUT any access token at
    /// /conformance/mcp, as this existing user, with the fixture tools, resources and prompts the
    /// official MCP conformance suite calls. Off unless given. Only in builds with the
    /// `test-fixtures` feature, and only as a flag: no environment variable or `.env` can set it.
    #[cfg(feature = "test-fixtures")]
    #[arg(long, value_name = "USERNAME")]
    pub conformance_unauthenticated_mcp: Option<String>,
    /// TEST ONLY, never in production: serve a fixture MCP service on /mcp (behind the usual
    /// bearer guard) instead of the user-data one, with other tools, a resource and a prompt, so
    /// the SPA's end-to-end specs can use a differently shaped MCP server. Only in builds with the
    /// `test-fixtures` feature, and only as a flag.
    #[cfg(feature = "test-fixtures")]
    #[arg(long)]
    pub fixture_mcp: bool,
    /// DEVELOPMENT AND TESTS ONLY, never in production: let Client ID Metadata Document URLs use
    /// `http` and point at loopback addresses (127.0.0.1, ::1, localhost), so local test clients
    /// can serve their documents. Private and other internal addresses stay refused. Off unless
    /// given; only as a flag, so no environment variable or `.env` can turn it on.
    #[arg(long)]
    pub cimd_allow_insecure_loopback: bool,
    /// Once every listener is up, write the bound addresses and public URLs here as JSON (written
    /// to a temporary file, then renamed), so scripts can start the server on port 0.
    #[arg(long, env = "READY_FILE")]
    pub ready_file: Option<std::path::PathBuf>,
    /// Audit events are deleted this many days after they happened.
    #[arg(long, env = "AUDIT_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..))]
    pub audit_retention_days: u32,
    /// Password checks (argon2) that may run at once, on blocking threads; a sign-in finding all
    /// of them busy gets 503 with `Retry-After`. Default: the number of cores.
    #[arg(long, env = "PASSWORD_HASHING_CONCURRENCY", value_parser = clap::value_parser!(u16).range(1..))]
    pub password_hashing_concurrency: Option<u16>,
    /// Serve Prometheus metrics at `http://<this address>/metrics`, on a listener of its own
    /// (keep it private: it is unauthenticated). Off unless given.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Seconds between purges of expired codes, tokens, sessions, pending requests, throttle
    /// rows, and audit events past --audit-retention-days (1–86400).
    #[arg(long, env = "PURGE_INTERVAL_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub purge_interval_secs: u64,
    /// Seconds after a rotation during which the old refresh token may be presented again (a
    /// client that lost the response), while its successor is unused: answered with a new pair
    /// that replaces the unseen one. 0: any reuse revokes the grant at once (0–300).
    #[arg(long, env = "REFRESH_REUSE_GRACE_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub refresh_reuse_grace_secs: u64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        let Some(Command::Serve(cfg)) = Cli::parse_from(["server", "serve"]).command else {
            unreachable!("`serve` parses to Command::Serve")
        };
        *cfg
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Verification {
    Jwt,
    Introspection,
}

/// The settings every part of the running server reads, resolved once at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Exact issuer identifier, without a trailing slash.
    pub issuer: String,
    /// Canonical URL of the MCP endpoint; the audience of every token we issue.
    pub resource: String,
    /// Base URL of the resource server (for its metadata URL).
    pub rs_base: String,
    pub allowed_origins: Vec<String>,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub code_ttl: i64,
    pub unused_client_ttl: i64,
    pub introspection_secret: String,
    pub introspection_url: String,
    pub introspection_cache_secs: i64,
    pub verification: Verification,
    /// Clock skew tolerated on JWT time claims, in seconds.
    pub jwt_leeway_secs: i64,
    /// Private-use redirect schemes accepted by exact name (lower case).
    pub private_use_schemes: Vec<String>,
    /// Where a resource server apart from the AS reads revocations; `None`: the shared database.
    pub revocation_feed_url: Option<String>,
    pub revocation_poll_secs: u64,
    pub jwks_url: String,
    /// The JWKS is this process's own (no `--jwks-url`): the RS may follow the AS's key ring.
    pub jwks_is_own: bool,
    /// TEST ONLY (`--fixture-mcp`): `/mcp` serves the fixture service.
    #[cfg(feature = "test-fixtures")]
    pub fixture_mcp: bool,
    /// Signs the AS cookies; `Secure` and `__Host-` when the issuer is https.
    pub cookies: crate::pages::cookies::CookieSigner,
    /// Proxies whose `X-Forwarded-For` is believed when finding a client's address.
    pub trusted_proxies: Vec<crate::http::client_addr::IpNetwork>,
    /// Failed sign-ins from one address (any usernames) before it is slowed down.
    pub login_failures_per_address: i64,
    /// TEST ONLY: metadata-document clients may use http and loopback URLs.
    pub cimd_allow_insecure_loopback: bool,
    /// How long audit events are kept, in seconds.
    pub audit_retention_secs: i64,
    /// How long after a rotation the old refresh token may be retried (0: never).
    pub refresh_reuse_grace_secs: i64,
}

/// Id the resource server presents (HTTP Basic) to the introspection endpoint.
pub const RS_INTROSPECTION_CLIENT: &str = "mcp-resource-server";

impl ServeConfig {
    /// Resolves defaults that depend on the bound addresses (port 0 in tests).
    pub fn settings(&self, as_addr: SocketAddr, rs_addr: SocketAddr, cookie_key: [u8; 32]) -> Result<Settings, Error> {
        let as_url = base_url(self.as_public_url.as_ref(), as_addr)?;
        let rs_base = base_url(self.rs_public_url.as_ref(), rs_addr)?;
        let resource = shared::urls::canonical_resource(&format!("{rs_base}{}", shared::urls::MCP))
            .map_err(|e| Error::Config(format!("resource server URL {e}")))?;
        for origin in &self.allowed_origins {
            if origin == "*" || Url::parse(origin).is_err() {
                return Err(Error::Config(format!(
                    "allowed origin {origin:?} must be a full origin like http://127.0.0.1:8080"
                )));
            }
        }
        let secret = match &self.introspection_secret {
            Some(s) if s.len() < 16 => {
                return Err(Error::Config("introspection secret must be at least 16 characters".into()))
            }
            Some(s) => s.clone(),
            None => crate::oauth::secrets::random_token(),
        };
        let introspection_url = match &self.introspection_url {
            Some(u) => u.to_string(),
            None => format!("{as_url}{}", shared::urls::INTROSPECT),
        };
        let jwks_url = match &self.jwks_url {
            Some(u) => u.to_string(),
            None => format!("{as_url}{}", shared::urls::JWKS),
        };
        Ok(Settings {
            verification: self.token_verification,
            introspection_cache_secs: i64::from(self.introspection_cache_secs),
            jwt_leeway_secs: i64::try_from(self.jwt_leeway_secs).unwrap_or(i64::MAX),
            revocation_feed_url: self.revocation_feed_url.as_ref().map(ToString::to_string),
            private_use_schemes: self.private_use_schemes()?,
            revocation_poll_secs: self.revocation_poll_secs,
            jwks_is_own: self.jwks_url.is_none(),
            jwks_url,
            cookies: crate::pages::cookies::CookieSigner::new(cookie_key, as_url.starts_with("https://")),
            trusted_proxies: self.trusted_proxies.clone(),
            login_failures_per_address: i64::from(self.login_failures_per_address.max(1)),
            cimd_allow_insecure_loopback: self.cimd_allow_insecure_loopback,
            audit_retention_secs: i64::from(self.audit_retention_days) * 24 * 3600,
            issuer: as_url,
            resource,
            rs_base,
            allowed_origins: self.allowed_origins.iter().map(|o| o.trim_end_matches('/').to_owned()).collect(),
            access_token_ttl: i64::try_from(self.access_token_ttl).unwrap_or(i64::MAX).max(1),
            unused_client_ttl: i64::try_from(self.unused_client_ttl).unwrap_or(i64::MAX),
            refresh_token_ttl: i64::try_from(self.refresh_token_ttl).unwrap_or(i64::MAX).max(1),
            code_ttl: i64::try_from(self.code_ttl).unwrap_or(i64::MAX).max(1),
            introspection_secret: secret,
            introspection_url,
            refresh_reuse_grace_secs: i64::try_from(self.refresh_reuse_grace_secs).unwrap_or(0),
            #[cfg(feature = "test-fixtures")]
            fixture_mcp: self.fixture_mcp,
        })
    }
}

impl ServeConfig {
    /// `--private-use-schemes`, checked: well-formed schemes that are not the web's own or
    /// dangerous ones (an empty item, from `--private-use-schemes ""`, allows none).
    pub fn private_use_schemes(&self) -> Result<Vec<String>, Error> {
        let mut schemes = Vec::new();
        for s in self.private_use_schemes.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            if !shared::urls::is_allowable_private_use_scheme(s) {
                return Err(Error::Config(format!(
                    "--private-use-schemes: {s:?} is not a scheme that may be allowed for redirects"
                )));
            }
            schemes.push(s.to_ascii_lowercase());
        }
        Ok(schemes)
    }
}

fn base_url(public: Option<&Url>, addr: SocketAddr) -> Result<String, Error> {
    let url = match public {
        Some(u) => u.clone(),
        None => Url::parse(&format!("http://{addr}")).map_err(|e| Error::Config(e.to_string()))?,
    };
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!("public URL {url} must not have a query or fragment")));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod test_only_switches {
    use clap::CommandFactory as _;

    use super::Cli;

    fn serve_arg(id: &str) -> Option<clap::Arg> {
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve")?;
        let arg = serve.get_arguments().find(|a| a.get_id() == id).cloned();
        arg
    }

    /// A stray environment variable or `.env` line must not be able to weaken the server.
    #[test]
    fn test_only_switches_have_no_environment_variable() {
        let insecure = serve_arg("cimd_allow_insecure_loopback").expect("the flag exists");
        assert_eq!(insecure.get_env(), None);
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").expect("serve");
        for arg in serve.get_arguments() {
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
            assert!(!env.starts_with("CONFORMANCE") && !env.starts_with("CIMD"), "{:?} reads {env}", arg.get_id());
        }
    }

    #[cfg(feature = "test-fixtures")]
    #[test]
    fn the_conformance_flag_exists_with_test_fixtures_and_reads_no_environment() {
        let arg = serve_arg("conformance_unauthenticated_mcp").expect("the flag exists with the feature");
        assert_eq!(arg.get_env(), None);
    }

    #[cfg(not(feature = "test-fixtures"))]
    #[test]
    fn builds_without_test_fixtures_refuse_the_conformance_flag() {
        assert!(serve_arg("conformance_unauthenticated_mcp").is_none());
        let parsed =
            <Cli as clap::Parser>::try_parse_from(["server", "serve", "--conformance-unauthenticated-mcp", "x"]);
        assert!(parsed.is_err(), "{parsed:?}");
    }
}
