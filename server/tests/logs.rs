//! Logs never carry secrets (README, "Logs"): the real server binary runs as a subprocess at the
//! most verbose level (`RUST_LOG=trace`), a client walks the whole flow against it (registration
//! of a confidential client, login with a wrong and then the right password, consent, code
//! exchange, MCP calls, refresh, revocation, a replayed code, a forged token), and nothing the
//! client held secret appears anywhere in what the process printed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use url::Url;

use crate::common::{hidden_field, new_verifier, PASSWORD, REDIRECT_URI, SPA_ORIGIN};

const WRONG_PASSWORD: &str = "not the password, but still a secret";

/// The server process; killed (and reaped) when dropped, so a failing test leaves nothing behind.
struct ServerProcess {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Everything the process printed so far, both streams, without terminal colours.
    fn output(&self) -> String {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        strip_ansi(&format!("{}\n{}", read(&self.stdout), read(&self.stderr)))
    }
}

/// `text` without ANSI escape sequences (the log formatter colours field names and levels).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            // CSI: parameters and intermediates, then one final byte in '@'..='~'.
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The server binary with a clean environment (no `.env`, no inherited settings), the most
/// verbose logging, in `format` (`text` or `json`).
fn server(dir: &Path, format: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env_clear().env("RUST_LOG", "trace").current_dir(dir).arg("--db").arg(dir.join("x.db"));
    cmd.args(["--log-format", format]);
    cmd
}

/// `server user add alice --password-stdin`; returns what it printed.
fn add_user(dir: &Path, format: &str) -> String {
    let mut child = server(dir, format)
        .args(["user", "add", "alice", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let printed = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "user add failed: {printed}");
    printed
}

/// `server serve` on ports 0; waits (generously) for it to report its addresses and returns the
/// process with the issuer and the MCP resource URL it printed.
fn serve(dir: &Path, verification: &str, format: &str) -> (ServerProcess, String, String) {
    let (stdout, stderr) = (dir.join("stdout.log"), dir.join("stderr.log"));
    let child = server(dir, format)
        .args(["serve", "--as-addr", "127.0.0.1:0", "--rs-addr", "127.0.0.1:0"])
        .args(["--allowed-origins", SPA_ORIGIN, "--token-verification", verification])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut process = ServerProcess { child, stdout, stderr };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let printed = std::fs::read_to_string(&process.stdout).unwrap_or_default();
        // "authorization server listening on ADDR (issuer URL)", "… listening on ADDR (resource URL)".
        let after = |marker: &str| {
            let line = printed.lines().find(|l| l.starts_with(marker))?;
            Some(line.rsplit_once(' ')?.1.trim_end_matches(')').to_owned())
        };
        if let (Some(issuer), Some(resource)) =
            (after("authorization server listening on"), after("MCP resource server listening on"))
        {
            return (process, issuer, resource);
        }
        if let Some(status) = process.child.try_wait().unwrap() {
            panic!("server exited ({status}) before listening:\n{}", process.output());
        }
        assert!(Instant::now() < deadline, "server did not report its addresses:\n{}", process.output());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every `name=value` a response sets.
fn set_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect()
}

/// What a client would hold secret, gathered while walking the flow.
#[derive(Default)]
struct Secrets(Vec<(&'static str, String)>);

impl Secrets {
    fn add(&mut self, what: &'static str, value: impl Into<String>) {
        let value = value.into();
        assert!(value.len() >= 8, "{what} is too short to search for meaningfully");
        self.0.push((what, value));
    }
}

async fn mcp(http: &Client, mcp_url: &str, token: &str, session: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = http
        .post(mcp_url)
        .bearer_auth(token)
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(body.to_string());
    if let Some(s) = session {
        req = req.header("Mcp-Session-Id", s).header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION);
    }
    req.send().await.unwrap()
}

/// Opens an MCP session with `token` and calls `get_user_data`; returns the user id it reported.
async fn call_a_tool(http: &Client, mcp_url: &str, token: &str) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": shared::mcp::PROTOCOL_VERSION, "capabilities": {},
        "clientInfo": {"name": "logs", "version": "0"}}});
    let resp = mcp(http, mcp_url, token, None, &init).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let _ = resp.text().await;
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(mcp(http, mcp_url, token, Some(&session), &note).await.status(), StatusCode::ACCEPTED);
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "get_user_data", "arguments": {"user_id": "current"}}});
    let resp = mcp(http, mcp_url, token, Some(&session), &call).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    let text = resp.text().await.unwrap();
    let msg = shared::mcp::messages_from_body(&ct, &text).into_iter().find(|m| m["id"] == 1).expect("response");
    msg["result"]["structuredContent"]["user_id"].as_str().unwrap_or_else(|| panic!("{msg}")).to_owned()
}

/// Walks the whole flow against the server at `issuer` / `mcp_url`; returns every secret seen and
/// the client id (which the logs may and should carry).
async fn walk_the_flow(issuer: &str, mcp_url: &str) -> (Secrets, String) {
    let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut secrets = Secrets::default();
    secrets.add("password", PASSWORD);
    secrets.add("wrong password", WRONG_PASSWORD);

    let resp = http
        .post(format!("{issuer}/register"))
        .json(&json!({"redirect_uris": [REDIRECT_URI], "client_name": "Log Test Client",
                      "grant_types": ["authorization_code", "refresh_token"],
                      "token_endpoint_auth_method": "client_secret_basic"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let client: Value = resp.json().await.unwrap();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let client_secret = client["client_secret"].as_str().expect("a confidential client gets a secret").to_owned();
    secrets.add("client secret", &client_secret);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{client_secret}"));
    secrets.add("Basic credentials", basic);

    // Authorization request, a wrong password, the right one, consent.
    let verifier = new_verifier();
    let state = format!("state-{}", server::oauth::secrets::random_token());
    let mut authorize = Url::parse(&format!("{issuer}/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "user")
        .append_pair("state", &state)
        .append_pair("code_challenge", &shared::pkce::challenge_s256(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", mcp_url);
    secrets.add("PKCE verifier", &verifier);
    secrets.add("state", &state);
    secrets.add("/authorize query string", authorize.query().unwrap());
    let resp = http.get(authorize.as_str()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csrf_cookie = set_cookies(&resp).into_iter().next().expect("CSRF cookie");
    let html = resp.text().await.unwrap();
    let (request_id, csrf) = (hidden_field(&html, "request_id").unwrap(), hidden_field(&html, "csrf").unwrap());
    secrets.add("CSRF token", &csrf);
    secrets.add("CSRF cookie", csrf_cookie.split_once('=').unwrap().1);
    let login = |password: &'static str| {
        http.post(format!("{issuer}/authorize/login")).header(COOKIE, &csrf_cookie).form(&[
            ("request_id", request_id.as_str()),
            ("csrf", &csrf),
            ("username", "alice"),
            ("password", password),
        ])
    };
    assert_eq!(login(WRONG_PASSWORD).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let resp = login(PASSWORD).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "consent page expected");
    let session = set_cookies(&resp).into_iter().find(|c| c.starts_with("mcp_as_session=")).expect("session");
    secrets.add("login session cookie", session.split_once('=').unwrap().1);
    let resp = http
        .post(format!("{issuer}/authorize/consent"))
        .header(COOKIE, format!("{csrf_cookie}; {session}"))
        .form(&[("request_id", request_id.as_str()), ("csrf", &csrf), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    let callback = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
    secrets.add("/callback query string", callback.query().unwrap());
    let code = callback.query_pairs().find(|(k, _)| k == "code").expect("code").1.into_owned();
    secrets.add("authorization code", &code);

    // Code for tokens, with HTTP Basic client authentication.
    let token_request = |form: Vec<(&str, String)>| {
        http.post(format!("{issuer}/token")).basic_auth(&client_id, Some(&client_secret)).form(&form)
    };
    let exchange = || {
        token_request(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT_URI.into()),
            ("code_verifier", verifier.clone()),
            ("resource", mcp_url.into()),
        ])
    };
    let resp = exchange().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let first: Value = resp.json().await.unwrap();
    let (access, refresh) = (first["access_token"].as_str().unwrap(), first["refresh_token"].as_str().unwrap());
    secrets.add("access token", access);
    secrets.add("refresh token", refresh);

    // MCP with it; then a refresh, and MCP with the new access token.
    let user_id = call_a_tool(&http, mcp_url, access).await;
    let resp = token_request(vec![("grant_type", "refresh_token".into()), ("refresh_token", refresh.into())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let second: Value = resp.json().await.unwrap();
    let (access2, refresh2) = (second["access_token"].as_str().unwrap(), second["refresh_token"].as_str().unwrap());
    secrets.add("rotated access token", access2);
    secrets.add("rotated refresh token", refresh2);
    assert_eq!(call_a_tool(&http, mcp_url, access2).await, user_id);

    // Failures are where secrets tend to leak: a forged token at the MCP endpoint, revocation,
    // then a replayed code.
    let forged = format!("{}x", &access2[..access2.len() - 1]);
    secrets.add("forged access token", &forged);
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    assert_eq!(mcp(&http, mcp_url, &forged, None, &ping).await.status(), StatusCode::UNAUTHORIZED);
    let resp = http
        .post(format!("{issuer}/revoke"))
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[("token", refresh2), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = exchange().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "replayed code");
    (secrets, client_id)
}

async fn logs_carry_no_secret(verification: &str, format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let user_add_output = add_user(dir.path(), format);
    let (process, issuer, mcp_url) = serve(dir.path(), verification, format);
    let (secrets, client_id) = walk_the_flow(&issuer, &mcp_url).await;
    let logs = format!("{}\n{}", strip_ansi(&user_add_output), process.output());

    // The logs are there and verbose (so the search below means something)...
    let path = |p: &str| if format == "json" { format!("\"path\":\"{p}\"") } else { format!("path={p}") };
    let expected = ["/authorize/login", "/token", "/revoke", "/mcp"].map(path);
    for expected in expected.iter().map(String::as_str).chain([client_id.as_str()]) {
        assert!(logs.contains(expected), "{expected:?} missing from the logs; were they captured?");
    }
    if format == "json" {
        let stderr = std::fs::read_to_string(&process.stderr).unwrap();
        assert_json_lines(&stderr);
    }
    assert!(logs.lines().count() > 100, "expected trace-level logs, got {} lines", logs.lines().count());
    // ...and carry none of the secrets, whole or URL-encoded.
    let leaked: Vec<&str> = secrets
        .0
        .iter()
        .filter(|(_, value)| {
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            logs.contains(value.as_str()) || logs.contains(&encoded)
        })
        .map(|(what, _)| *what)
        .collect();
    // Only the names of what leaked are printed, never the values.
    assert!(leaked.is_empty(), "secrets in the {verification} server's logs: {leaked:?}");
}

/// Every line is one JSON object with a level, a target and a message (or fields): what log
/// collectors need to parse `--log-format json` without guessing.
fn assert_json_lines(stderr: &str) {
    assert!(stderr.lines().count() > 100, "expected trace-level JSON logs");
    for line in stderr.lines() {
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(entry["level"].is_string() && entry["target"].is_string(), "{line}");
        assert!(entry["fields"].is_object() || entry["message"].is_string(), "{line}");
    }
}

#[tokio::test]
async fn logs_carry_no_secret_with_local_jwt_verification() {
    logs_carry_no_secret("jwt", "text").await;
}

#[tokio::test]
async fn logs_carry_no_secret_with_introspection() {
    logs_carry_no_secret("introspection", "text").await;
}

#[tokio::test]
async fn json_logs_are_one_object_a_line_and_carry_no_secret() {
    logs_carry_no_secret("jwt", "json").await;
}
