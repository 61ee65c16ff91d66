//! `mcp-auth` end to end, as a real process against the real server (in-process, both listeners
//! on 127.0.0.1:0, a fresh SQLite file and one user): `login --no-browser` prints the
//! authorization URL, the test walks the server's real login and consent pages over HTTP like a
//! browser (cookie jar, hidden CSRF fields), the redirect lands on the CLI's loopback listener,
//! then `call` uses the stored credentials. Plus the errors a user meets: refused consent, an
//! unreachable server, a server that speaks no OAuth, and `call` after `logout`.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::Value;
use server::config::{ServeConfig, UserAdd};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

const USER: &str = "alice";
const PASSWORD: &str = "correct horse battery staple";

struct Server {
    mcp_url: String,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn spawn_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = server::store::open(dir.path().join("test.db").to_str().unwrap()).await.unwrap();
    let user = UserAdd {
        username: USER.into(),
        password_stdin: false,
        password: Some(PASSWORD.into()),
        name: Some("Alice Example".into()),
        email: Some("alice@example.test".into()),
        replace: false,
    };
    server::cli::user_add(&*store, user).await.unwrap();
    let cfg = ServeConfig {
        as_addr: "127.0.0.1:0".parse().unwrap(),
        rs_addr: "127.0.0.1:0".parse().unwrap(),
        as_public_url: None,
        rs_public_url: None,
        spa_addr: None,
        ..ServeConfig::default()
    };
    let shutdown = CancellationToken::new();
    let running = server::start(&cfg, store, shutdown.clone()).await.unwrap();
    Server { mcp_url: format!("http://{}/mcp", running.rs_addr), shutdown, _dir: dir }
}

fn mcp_auth(config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcp-auth"));
    cmd.args(args)
        .env("XDG_CONFIG_HOME", config)
        .env_remove("HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Runs to the end; (exit success, stdout, stderr).
async fn run(config: &Path, args: &[&str]) -> (bool, String, String) {
    let out = tokio::time::timeout(Duration::from_secs(60), mcp_auth(config, args).output()).await.unwrap().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `login --no-browser` and reads the authorization URL it prints.
async fn start_login(config: &Path, mcp_url: &str) -> (Child, String) {
    let mut child = mcp_auth(config, &["login", "--no-browser", mcp_url]).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap();
    (child, url.expect("login printed no URL"))
}

fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

/// The browser's part: login page, sign in, consent (`allow` or `deny`), then follow the redirect
/// to the CLI's loopback listener. Returns the listener's HTML page.
async fn browse(authorize_url: &str, decision: &str) -> String {
    let browser =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "login page expected");
    let html = page.text().await.unwrap();
    let (request_id, csrf) = (hidden_field(&html, "request_id"), hidden_field(&html, "csrf"));
    let issuer = authorize_url.split("/authorize").next().unwrap();
    let login = [("request_id", &*request_id), ("csrf", &*csrf), ("username", USER), ("password", PASSWORD)];
    let resp = browser.post(format!("{issuer}/authorize/login")).form(&login).send().await.unwrap();
    // A user who already allowed this client is sent straight back; otherwise the consent page.
    let resp = if resp.status() == StatusCode::FOUND {
        resp
    } else {
        assert_eq!(resp.status(), StatusCode::OK, "consent page expected");
        let consent = [("request_id", &*request_id), ("csrf", &*csrf), ("decision", decision)];
        browser.post(format!("{issuer}/authorize/consent")).form(&consent).send().await.unwrap()
    };
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers().get(LOCATION).unwrap().to_str().unwrap().to_owned();
    assert!(location.starts_with("http://127.0.0.1:"), "redirected to the loopback listener: {location}");
    browser.get(location).send().await.unwrap().text().await.unwrap()
}

async fn finish(child: Child) -> (bool, String) {
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output()).await.unwrap().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_call_logout_through_the_real_pages() {
    let server = spawn_server().await;
    let config = tempfile::tempdir().unwrap();

    let (child, url) = start_login(config.path(), &server.mcp_url).await;
    assert!(url.contains("/authorize?") && url.contains("code_challenge_method=S256"), "{url}");
    let page = browse(&url, "allow").await;
    assert!(page.contains("Signed in"), "{page}");
    let (ok, stderr) = finish(child).await;
    assert!(ok, "login failed: {stderr}");

    // Credentials: 0600 files in a 0700 folder.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = config.path().join("mcp-auth");
        assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            assert_eq!(entry.metadata().unwrap().permissions().mode() & 0o777, 0o600, "{:?}", entry.path());
        }
    }

    // No --url: the last URL logged in to.
    let (ok, stdout, stderr) = run(config.path(), &["call", "get_user_data"]).await;
    assert!(ok, "call failed: {stderr}");
    let result: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert!(result.to_string().contains(USER), "{result}");

    let (ok, stdout, stderr) = run(config.path(), &["tools", "--url", &server.mcp_url]).await;
    assert!(ok, "tools failed: {stderr}");
    assert!(stdout.contains("get_user_data"), "{stdout}");

    let (ok, stdout, stderr) = run(config.path(), &["whoami"]).await;
    assert!(ok, "whoami failed: {stderr}");
    assert!(stdout.contains("issuer") && stdout.contains(USER), "{stdout}");

    // --trace shows the exchanges, never the token.
    let token = stored_access_token(config.path());
    let (ok, _, stderr) = run(config.path(), &["--trace", "tools"]).await;
    assert!(ok, "tools --trace failed: {stderr}");
    assert!(stderr.contains("> POST ") && stderr.contains("authorization: Bearer [redacted]"), "{stderr}");
    assert!(!stderr.contains(&token), "the access token leaked into the trace");

    let (ok, _, stderr) = run(config.path(), &["logout"]).await;
    assert!(ok, "logout failed: {stderr}");
    let (ok, _, stderr) = run(config.path(), &["call", "get_user_data", "--url", &server.mcp_url]).await;
    assert!(!ok, "call after logout must fail");
    assert!(stderr.contains("not logged in"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

/// The one stored session's access token.
fn stored_access_token(config: &Path) -> String {
    let file = issuer_file(config);
    let v: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let session = v["sessions"].as_object().unwrap().values().next().unwrap();
    session["access_token"].as_str().unwrap().to_owned()
}

fn issuer_file(config: &Path) -> std::path::PathBuf {
    let dir = config.join("mcp-auth");
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).find(|p| !p.ends_with("servers.json")).unwrap()
}

async fn logged_in(server: &Server, config: &Path) {
    let (child, url) = start_login(config, &server.mcp_url).await;
    browse(&url, "allow").await;
    let (ok, stderr) = finish(child).await;
    assert!(ok, "login failed: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_login_reuses_the_registration_on_a_new_loopback_port() {
    let server = spawn_server().await;
    let config = tempfile::tempdir().unwrap();
    logged_in(&server, config.path()).await;
    let first = std::fs::read_to_string(issuer_file(config.path())).unwrap();
    let client_id = |text: &str| serde_json::from_str::<Value>(text).unwrap()["registration"]["client_id"].clone();

    // The listener of this run has another port; the authorization request must name it.
    let (child, url) = start_login(config.path(), &server.mcp_url).await;
    let page = browse(&url, "allow").await;
    assert!(page.contains("Signed in"), "{page}");
    let (ok, stderr) = finish(child).await;
    assert!(ok, "second login failed: {stderr}");
    let second = std::fs::read_to_string(issuer_file(config.path())).unwrap();
    assert_eq!(client_id(&first), client_id(&second), "the registration was reused");
    let (ok, _, stderr) = run(config.path(), &["call", "get_user_data"]).await;
    assert!(ok, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_needing_more_scope_steps_up_through_the_browser() {
    let server = spawn_server().await;
    let config = tempfile::tempdir().unwrap();
    logged_in(&server, config.path()).await;
    // update_profile needs user:write, which the first login did not ask for: 403
    // insufficient_scope, a new authorization for the union, then the call again.
    let args = r#"{"display_name": "Alice Two"}"#;
    let mut child = mcp_auth(config.path(), &["call", "update_profile", args, "--no-browser"]).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap();
        let line = line.expect("no step-up URL on stderr");
        if line.starts_with("http://") {
            break line;
        }
    };
    assert!(url.contains("scope=user+user%3Awrite") || url.contains("scope=user%3Awrite+user"), "{url}");
    let page = browse(&url, "allow").await;
    assert!(page.contains("Signed in"), "{page}");
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output()).await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "step-up call failed: {stdout}");
    assert!(stdout.contains("Alice Two"), "{stdout}");
    // The stepped-up session was saved: the next call needs no login.
    let (ok, stdout, stderr) = run(config.path(), &["whoami"]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("user:write"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_the_server_no_longer_accepts_fails_clearly() {
    let server = spawn_server().await;
    let config = tempfile::tempdir().unwrap();
    logged_in(&server, config.path()).await;
    // Tokens the server never issued (as after a revocation): 401, the refresh is refused
    // (invalid_grant), and the user is told to log in again.
    let file = issuer_file(config.path());
    let mut v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for session in v["sessions"].as_object_mut().unwrap().values_mut() {
        session["access_token"] = "not-a-token".into();
        session["refresh_token"] = "not-a-refresh-token".into();
    }
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    let (ok, _, stderr) = run(config.path(), &["call", "get_user_data"]).await;
    assert!(!ok);
    assert!(stderr.contains("expired or was revoked") && stderr.contains("login"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_consent_fails_clearly() {
    let server = spawn_server().await;
    let config = tempfile::tempdir().unwrap();
    let (child, url) = start_login(config.path(), &server.mcp_url).await;
    let page = browse(&url, "deny").await;
    assert!(page.contains("refused"), "{page}");
    let (ok, stderr) = finish(child).await;
    assert!(!ok);
    assert!(stderr.contains("refused") && stderr.contains("access_denied"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn an_unreachable_server_fails_clearly() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = run(config.path(), &["login", "--no-browser", &format!("http://127.0.0.1:{port}/mcp")]).await;
    assert!(!ok);
    assert!(stderr.contains("could not connect") || stderr.contains("unreachable"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A plain HTTP server that answers every request 200 with `{}`: no 401 challenge, no PRM.
async fn no_oauth_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
                let reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/mcp")
}

#[tokio::test]
async fn a_server_without_oauth_fails_clearly() {
    let url = no_oauth_server().await;
    let config = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = run(config.path(), &["login", "--no-browser", &url]).await;
    assert!(!ok);
    assert!(stderr.to_lowercase().contains("oauth"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
