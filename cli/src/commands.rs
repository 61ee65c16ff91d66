//! The user-facing commands. Each is a thin sequence of `client-core` calls plus the terminal,
//! the credentials files and the loopback socket.

use std::rc::Rc;
use std::time::Duration;

use client_core::authorize::CallbackParams;
use client_core::discovery::parse_mcp_url;
use client_core::identity::CredentialSource;
use client_core::mcp::pretty_value;
use client_core::token::{self, TokenKind};
use client_core::{flow, ClientConfig, McpClient, PreRegistered, Session, TokenKeeper};
use serde_json::{json, Value};

use crate::browser;
use crate::error::CliError;
use crate::loopback::Loopback;
use crate::session::{self, FileCredentials, FileHooks, Http, TraceSteps};
use crate::store::Store;

const CLIENT_NAME: &str = "mcp-auth (command line)";
/// How long a step-up waits for the browser.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

pub struct LoginArgs {
    pub mcp_url: String,
    pub no_browser: bool,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_metadata_url: Option<String>,
    pub timeout: Duration,
}

pub async fn login(store: Store, trace: bool, args: LoginArgs) -> Result<(), CliError> {
    let store = Rc::new(store);
    let http = Http::new(trace)?;
    let mcp_url = parse_mcp_url(&args.mcp_url)?.to_string();
    let loopback = Loopback::bind().await?;
    let config = ClientConfig {
        client_name: CLIENT_NAME.into(),
        redirect_uri: loopback.redirect_uri(),
        application_type: Some("native".into()),
        pre_registered: args.client_id.map(|client_id| PreRegistered {
            client_id,
            client_secret: args.client_secret,
            token_endpoint_auth_method: None,
        }),
        metadata_document_url: args.client_metadata_url,
    };
    let credentials = FileCredentials(store.clone());
    let observer = TraceSteps(trace);
    let mut random = session::random;
    let ctx = flow::LoginContext { client: &config, store: &credentials, random: &mut random, observer: &observer };
    let pending = flow::begin_login(&http, &mcp_url, ctx).await?;

    show_authorization_url(&pending.authorization_url, args.no_browser, true);
    let callback = loopback.wait(&pending.state, args.timeout).await?;
    let params = CallbackParams::from_query(&callback.query);
    let session = flow::complete_login(&http, &params, &pending, session::now_ms(), &credentials, &observer).await?;

    session::update(&store, &session.issuer, |f| {
        f.sessions.insert(mcp_url.clone(), session.clone());
    })?;
    let mut servers = store.load_servers()?;
    servers.issuers.insert(mcp_url.clone(), session.issuer.clone());
    servers.last_url = Some(mcp_url.clone());
    store.save_servers(&servers)?;
    eprintln!(
        "Logged in to {mcp_url} (issuer {}, scope \"{}\"). Credentials: {}",
        session.issuer,
        session.scope.as_deref().unwrap_or_default(),
        store.issuer_file(&session.issuer).display()
    );
    Ok(())
}

/// The stored session for `--url` (or the last URL logged in to).
fn stored_session(store: &Store, url: Option<&str>) -> Result<Session, CliError> {
    let servers = store.load_servers()?;
    let url = match url {
        Some(u) => parse_mcp_url(u)?.to_string(),
        None => servers.last_url.clone().ok_or(CliError::NotLoggedIn)?,
    };
    let issuer = servers.issuers.get(&url).ok_or(CliError::NotLoggedIn)?;
    let mut file = session::load(store, issuer)?;
    file.sessions.remove(&url).ok_or(CliError::NotLoggedIn)
}

/// What every command but `login` is told.
pub struct Opts {
    pub trace: bool,
    /// `--url`, else the last URL logged in to.
    pub url: Option<String>,
    /// Print the step-up authorization URL instead of opening a browser.
    pub no_browser: bool,
}

/// Runs `op` on an initialized MCP connection with the stored session: renewed when it
/// expires (the new tokens are saved), refreshed once on a 401, and on a 403
/// `insufficient_scope` stepped up once: a new browser login for the granted scopes plus the
/// challenged ones, then `op` again.
async fn with_server<T, F, Fut>(store: Store, opts: &Opts, op: F) -> Result<T, CliError>
where
    F: Fn(McpClient<Http>) -> Fut,
    Fut: std::future::Future<Output = Result<T, client_core::CoreError>>,
{
    let store = Rc::new(store);
    let session = stored_session(&store, opts.url.as_deref())?;
    let http = Rc::new(Http::new(opts.trace)?);
    let mcp = McpClient::new(http.clone(), &session.mcp_url, &session.access_token);
    let keeper = TokenKeeper::new(http.clone(), session, FileHooks(store.clone()));
    let result = keeper
        .with_step_up(
            &mcp,
            |c| {
                let run = op(c.clone());
                async move {
                    c.initialize().await?;
                    run.await
                }
            },
            |union| {
                let (http, store, session) = (http.clone(), store.clone(), keeper.session());
                async move {
                    step_up(&http, &store, &session, &union.to_string(), opts)
                        .await
                        .map_err(|e| client_core::CoreError::message(e.to_string()))
                }
            },
        )
        .await;
    mcp.close().await;
    result.map_err(CliError::from)
}

/// The step-up login: same client, same resource, the union of scopes; browser and loopback
/// as in `login`.
async fn step_up(
    http: &Http,
    store: &Rc<Store>,
    session: &Session,
    union: &str,
    opts: &Opts,
) -> Result<Session, CliError> {
    let loopback = Loopback::bind().await?;
    let creds = &session.credentials;
    let config = ClientConfig {
        client_name: CLIENT_NAME.into(),
        redirect_uri: loopback.redirect_uri(),
        application_type: Some("native".into()),
        pre_registered: (creds.source == CredentialSource::PreRegistered).then(|| PreRegistered {
            client_id: creds.client_id.clone(),
            client_secret: creds.client_secret.clone(),
            token_endpoint_auth_method: Some(creds.token_endpoint_auth_method.clone()),
        }),
        metadata_document_url: (creds.source == CredentialSource::MetadataDocument).then(|| creds.client_id.clone()),
    };
    let credentials = FileCredentials(store.clone());
    let observer = TraceSteps(opts.trace);
    let mut random = session::random;
    let ctx = flow::LoginContext { client: &config, store: &credentials, random: &mut random, observer: &observer };
    let pending = flow::begin_step_up(http, session, "tools/call", union, 0, ctx).await?;
    eprintln!("The server asks for more permission (scope \"{union}\"); sign in again to allow it:");
    show_authorization_url(&pending.authorization_url, opts.no_browser, false);
    let callback = loopback.wait(&pending.state, LOGIN_TIMEOUT).await?;
    let params = CallbackParams::from_query(&callback.query);
    Ok(flow::complete_login(http, &params, &pending, session::now_ms(), &credentials, &observer).await?)
}

/// `--no-browser`: the URL alone on a line (stdout for `login`, stderr when stdout carries a
/// result); otherwise the browser is opened and the URL printed to stderr as a fallback.
fn show_authorization_url(url: &str, no_browser: bool, to_stdout: bool) {
    if no_browser {
        if to_stdout {
            println!("{url}");
        } else {
            eprintln!("{url}");
        }
        return;
    }
    let opened = browser::open(url);
    eprintln!(
        "{} to sign in; if it did not open, visit:\n{url}",
        if opened { "Your browser was opened" } else { "Open this URL in a browser" }
    );
}

pub async fn tools(store: Store, opts: &Opts) -> Result<(), CliError> {
    let result = with_server(store, opts, |c| async move { c.call("tools/list", json!({})).await }).await?;
    for tool in result["tools"].as_array().into_iter().flatten() {
        let name = tool["name"].as_str().unwrap_or_default();
        let description = tool["description"].as_str().unwrap_or_default();
        println!("{name}\t{description}");
    }
    Ok(())
}

pub async fn call(store: Store, opts: &Opts, tool: &str, args: Option<&str>) -> Result<(), CliError> {
    let arguments: Value = match args {
        Some(text) => {
            serde_json::from_str(text).map_err(|e| CliError::Usage(format!("the arguments are not JSON: {e}")))?
        }
        None => json!({}),
    };
    if !arguments.is_object() {
        return Err(CliError::Usage("the arguments must be a JSON object, e.g. '{\"name\": \"value\"}'".into()));
    }
    let params = json!({ "name": tool, "arguments": arguments });
    let result = with_server(store, opts, |c| {
        let params = params.clone();
        async move { c.call("tools/call", params).await }
    })
    .await?;
    println!("{}", pretty_value(&result));
    if result["isError"].as_bool() == Some(true) {
        return Err(CliError::Other(format!("the tool {tool} reported an error")));
    }
    Ok(())
}

pub async fn read(store: Store, opts: &Opts, uri: &str) -> Result<(), CliError> {
    let params = json!({ "uri": uri });
    let result = with_server(store, opts, |c| {
        let params = params.clone();
        async move { c.call("resources/read", params).await }
    })
    .await?;
    println!("{}", pretty_value(&result));
    Ok(())
}

/// Tools that tell who the token belongs to, if the server offers one.
const WHOAMI_TOOLS: &[&str] = &["whoami", "get_user_data"];

pub async fn whoami(store: Store, opts: &Opts) -> Result<(), CliError> {
    let session = stored_session(&store, opts.url.as_deref())?;
    let now_ms = session::now_ms();
    println!("mcp server: {}", session.mcp_url);
    println!("issuer:     {}", session.issuer);
    println!("client_id:  {}", session.credentials.client_id);
    println!("scopes:     {}", session.scope.as_deref().unwrap_or("(none granted)"));
    let left = (session.expires_at - now_ms) / 1000;
    let expiry = if left > 0 { format!("in {left} s") } else { format!("{} s ago", -left) };
    println!(
        "expires:    {} ({expiry}){}",
        session.expires_at,
        if session.refresh_token.is_some() { ", renewable" } else { "" }
    );
    // The server's own view, when it has a tool for it; the stored facts stand on their own.
    let answer = with_server(store, opts, |c| async move {
        let tools = c.call("tools/list", json!({})).await?;
        let names: Vec<&str> =
            tools["tools"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
        match WHOAMI_TOOLS.iter().find(|w| names.contains(w)) {
            Some(tool) => c.call("tools/call", json!({ "name": tool, "arguments": {} })).await.map(Some),
            None => Ok(None),
        }
    })
    .await?;
    if let Some(result) = answer {
        let shown = match result.get("structuredContent") {
            Some(s) if !s.is_null() => s.clone(),
            _ => result,
        };
        println!("server says: {}", pretty_value(&shown));
    }
    Ok(())
}

pub async fn logout(store: Store, opts: &Opts) -> Result<(), CliError> {
    let session = stored_session(&store, opts.url.as_deref())?;
    let http = Http::new(opts.trace)?;
    // RFC 7009: revoking the refresh token ends the grant; the access token too, for servers
    // that check access tokens by introspection only.
    let mut warnings = Vec::new();
    match &session.revocation_endpoint {
        Some(endpoint) => {
            if let Some(refresh) = &session.refresh_token {
                if let Err(e) = token::revoke(&http, endpoint, &session.credentials, refresh, TokenKind::Refresh).await
                {
                    warnings.push(e.to_string());
                }
            }
            if let Err(e) =
                token::revoke(&http, endpoint, &session.credentials, &session.access_token, TokenKind::Access).await
            {
                warnings.push(e.to_string());
            }
        }
        None => {
            warnings.push("the authorization server has no revocation_endpoint; the tokens were only forgotten".into())
        }
    }
    session::update(&store, &session.issuer, |f| {
        f.sessions.remove(&session.mcp_url);
    })?;
    for w in &warnings {
        eprintln!("mcp-auth: warning: {w}");
    }
    eprintln!("Logged out of {} (issuer {}).", session.mcp_url, session.issuer);
    Ok(())
}
