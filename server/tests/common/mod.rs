//! Test harness: a real server (both listeners) on 127.0.0.1:0 with a temporary SQLite file,
//! and helpers that walk the OAuth flow over real HTTP like a browser would.
#![allow(dead_code, clippy::unwrap_used)]

mod checks;
pub mod db;
mod tokens;

use std::sync::Arc;

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use server::config::{ServeConfig, UserAdd};
use server::store::{self, SharedStore};
use shared::pkce;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use checks::{assert_oauth_error, assert_too_large, refused_within, send_all_at_once, RACERS};
pub use tokens::{claims_for, mint};

pub const SPA_ORIGIN: &str = "http://127.0.0.1:18080";
pub const REDIRECT_URI: &str = "http://127.0.0.1:18080/callback";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub as_url: String,
    pub rs_url: String,
    pub mcp_url: String,
    pub store: SharedStore,
    pub http: Client,
    pub introspection_secret: String,
    /// The settings the running server resolved (issuer, resource, lifetimes).
    pub settings: Arc<server::config::Settings>,
    /// The running server's signing keys: `keys.reload(..)` applies a `keys` command at once.
    pub keys: Arc<server::oauth::keys::SigningKeys>,
    /// The sign-in's password hasher: hold its permits to see the server busy.
    pub passwords: Arc<server::oauth::password::PasswordHasher>,
    /// `http://<metrics-addr>/metrics` when the server was started with `metrics_addr`.
    pub metrics_url: Option<String>,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server whose resource server checks tokens by RFC 7662 introspection instead of locally, on
/// every request (no cache), so that revocation shows at once.
pub async fn spawn_introspecting_app() -> TestApp {
    spawn_app_with(|c| {
        c.token_verification = server::config::Verification::Introspection;
        c.introspection_cache_secs = 0;
    })
    .await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut ServeConfig)) -> TestApp {
    spawn_app_in(tempfile::tempdir().unwrap(), tweak).await
}

/// A server on the database `test.db` inside `dir` (reused across restarts).
pub async fn spawn_app_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut ServeConfig)) -> TestApp {
    // TEST_DB_BACKEND=postgres runs the whole suite on PostgreSQL (tests that open the SQLite
    // file themselves then fail: they test SQLite).
    let db = if std::env::var("TEST_DB_BACKEND").as_deref() == Ok("postgres") {
        db::fresh(db::Backend::Postgres, dir.path()).await
    } else {
        dir.path().join("test.db").to_str().unwrap().to_owned()
    };
    spawn_app_on(dir, &db, tweak).await
}

/// A server on the database `db` (a SQLite path or a `postgres://` URL, see [`db::fresh`]);
/// `dir` is kept for as long as the app lives.
pub async fn spawn_app_on(dir: tempfile::TempDir, db: &str, tweak: impl FnOnce(&mut ServeConfig)) -> TestApp {
    let store = store::open(db).await.unwrap();
    let mut cfg = ServeConfig {
        as_addr: "127.0.0.1:0".parse().unwrap(),
        rs_addr: "127.0.0.1:0".parse().unwrap(),
        as_public_url: None,
        rs_public_url: None,
        spa_addr: None,
        allowed_origins: vec![SPA_ORIGIN.into()],
        introspection_secret: Some("test-introspection-secret-0123456789".into()),
        ..ServeConfig::default()
    };
    tweak(&mut cfg);
    let shutdown = CancellationToken::new();
    let running = server::start(&cfg, store.clone(), shutdown.clone()).await.unwrap();
    let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp {
        tasks: running.tasks,
        as_url: format!("http://{}", running.as_addr),
        rs_url: format!("http://{}", running.rs_addr),
        mcp_url: format!("http://{}/mcp", running.rs_addr),
        store,
        http,
        introspection_secret: running.settings.introspection_secret.clone(),
        settings: running.settings,
        keys: running.keys,
        passwords: running.passwords,
        metrics_url: running.metrics_addr.map(|a| format!("http://{a}/metrics")),
        shutdown,
        _dir: dir,
    }
}

/// What a client keeps between the authorization request and the token request.
#[derive(Clone, Debug)]
pub struct Pending {
    pub client_id: String,
    pub verifier: String,
    pub state: String,
}

/// The login page's hidden fields and the browser-binding cookie.
#[derive(Clone, Debug)]
pub struct LoginForm {
    pub request_id: String,
    pub csrf: String,
    pub cookie: String,
}

pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub fn new_verifier() -> String {
    pkce::verifier_from_bytes(&rand::random::<[u8; 32]>())
}

impl TestApp {
    /// Stops the server, waits for its listeners to close, and hands back its database folder.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.shutdown.cancel();
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
        self.store.close().await;
        std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap())
    }

    /// Stops the server and starts a new one on the same database file and addresses, as a
    /// process restart would.
    pub async fn restart(self) -> TestApp {
        let (as_addr, rs_addr) = (self.as_url.replace("http://", ""), self.rs_url.replace("http://", ""));
        let dir = self.stop().await;
        spawn_app_in(dir, |c| {
            c.as_addr = as_addr.parse().unwrap();
            c.rs_addr = rs_addr.parse().unwrap();
        })
        .await
    }

    /// The server's SQLite file, for tests that must age rows (control time) directly.
    pub fn db_path(&self) -> std::path::PathBuf {
        self._dir.path().join("test.db")
    }

    /// Runs one SQL statement with `binds` on the server's database, through a connection of its
    /// own; returns the rows it changed. For moving stored timestamps, i.e. letting time pass.
    pub async fn sql(&self, statement: &str, binds: &[i64]) -> u64 {
        let mut conn = self.db_connection().await;
        let mut query = sqlx::query(statement);
        for b in binds {
            query = query.bind(*b);
        }
        let done = query.execute(&mut conn).await.unwrap();
        sqlx::Connection::close(conn).await.unwrap();
        done.rows_affected()
    }

    /// The integer columns of the one row `select` returns, from the server's database.
    pub async fn sql_row(&self, select: &str) -> Vec<i64> {
        use sqlx::Row as _;
        let mut conn = self.db_connection().await;
        let row = sqlx::query(select).fetch_one(&mut conn).await.unwrap();
        let values = (0..row.len()).map(|i| row.get::<i64, _>(i)).collect();
        sqlx::Connection::close(conn).await.unwrap();
        values
    }

    async fn db_connection(&self) -> sqlx::SqliteConnection {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(self.db_path());
        sqlx::ConnectOptions::connect(&options).await.unwrap()
    }

    pub async fn add_user(&self, username: &str) -> String {
        let args = UserAdd {
            username: username.into(),
            password_stdin: false,
            password: Some(PASSWORD.into()),
            name: Some(format!("{username} Example")),
            email: Some(format!("{username}@example.test")),
            replace: false,
        };
        server::cli::user_add(&*self.store, args).await.unwrap();
        self.store.find_user_by_username(username).await.unwrap().unwrap().id
    }

    pub async fn register(&self, body: Value) -> Response {
        self.http.post(format!("{}/register", self.as_url)).json(&body).send().await.unwrap()
    }

    pub async fn register_client(&self) -> String {
        let resp = self.register(json!({"redirect_uris": [REDIRECT_URI], "client_name": "Test Client"})).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned()
    }

    /// A valid authorization query for `client_id`, with `extra` overriding or removing
    /// (value `None`) parameters.
    pub fn authorize_url(&self, client_id: &str, verifier: &str, extra: &[(&str, Option<&str>)]) -> String {
        let challenge = pkce::challenge_s256(verifier);
        let mut params: Vec<(String, String)> = vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), client_id.into()),
            ("redirect_uri".into(), REDIRECT_URI.into()),
            ("scope".into(), "user".into()),
            ("state".into(), "st4te".into()),
            ("code_challenge".into(), challenge),
            ("code_challenge_method".into(), "S256".into()),
            ("resource".into(), self.mcp_url.clone()),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            if let Some(v) = v {
                params.push(((*k).into(), (*v).into()));
            }
        }
        let mut url = Url::parse(&format!("{}/authorize", self.as_url)).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        url.into()
    }

    /// GET /authorize expecting the login page.
    pub async fn open_login(&self, url: &str) -> LoginForm {
        let resp = self.http.get(url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "login page expected");
        let cookie = cookie_pair(resp.headers()).expect("csrf cookie");
        let html = resp.text().await.unwrap();
        LoginForm {
            request_id: hidden_field(&html, "request_id").unwrap(),
            csrf: hidden_field(&html, "csrf").unwrap(),
            cookie,
        }
    }

    pub async fn post_form(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Response {
        let mut req = self.http.post(format!("{}{path}", self.as_url)).form(form);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        req.send().await.unwrap()
    }

    pub async fn login(&self, form: &LoginForm, username: &str, password: &str) -> Response {
        self.post_form(
            "/authorize/login",
            Some(&form.cookie),
            &[("request_id", &form.request_id), ("csrf", &form.csrf), ("username", username), ("password", password)],
        )
        .await
    }

    pub async fn decide(&self, form: &LoginForm, decision: &str) -> Response {
        self.post_form(
            "/authorize/consent",
            Some(&form.cookie),
            &[("request_id", &form.request_id), ("csrf", &form.csrf), ("decision", decision)],
        )
        .await
    }

    /// Register, authorize, log in as `username`, allow; returns the code and what the client kept.
    pub async fn authorize_code(&self, username: &str) -> (String, Pending) {
        let client_id = self.register_client().await;
        self.authorize_code_for(&client_id, username).await
    }

    pub async fn authorize_code_for(&self, client_id: &str, username: &str) -> (String, Pending) {
        let verifier = new_verifier();
        let form = self.open_login(&self.authorize_url(client_id, &verifier, &[])).await;
        let resp = self.login(&form, username, PASSWORD).await;
        // A user who already allowed this client is sent straight back; otherwise consent.
        let resp = if resp.status() == StatusCode::FOUND {
            resp
        } else {
            assert_eq!(resp.status(), StatusCode::OK, "consent page expected");
            self.decide(&form, "allow").await
        };
        assert_eq!(resp.status(), StatusCode::FOUND);
        let location = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
        let get = |k: &str| location.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        assert_eq!(get("state").as_deref(), Some("st4te"));
        assert_eq!(get("iss").as_deref(), Some(self.as_url.as_str()));
        let code = get("code").expect("code in redirect");
        (code, Pending { client_id: client_id.into(), verifier, state: "st4te".into() })
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> Response {
        self.http.post(format!("{}/token", self.as_url)).form(form).send().await.unwrap()
    }

    pub async fn exchange(&self, code: &str, p: &Pending) -> Response {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &p.client_id),
            ("code_verifier", &p.verifier),
            ("resource", &self.mcp_url),
        ])
        .await
    }

    /// The whole flow for `username`; returns an access token.
    pub async fn access_token(&self, username: &str) -> String {
        let (code, pending) = self.authorize_code(username).await;
        let resp = self.exchange(&code, &pending).await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }

    /// POST a JSON-RPC message to /mcp with an optional bearer token and session.
    pub async fn mcp_post(&self, token: Option<&str>, session: Option<&str>, body: &Value) -> Response {
        let mut req = self
            .http
            .post(&self.mcp_url)
            .header(CONTENT_TYPE, "application/json")
            .header("Accept", "application/json, text/event-stream")
            .body(body.to_string());
        if let Some(t) = token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(s) = session {
            req = req.header("Mcp-Session-Id", s).header("MCP-Protocol-Version", shared::mcp::PROTOCOL_VERSION);
        }
        req.send().await.unwrap()
    }

    /// Initializes an MCP session; returns its id.
    pub async fn mcp_session(&self, token: &str) -> String {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": shared::mcp::PROTOCOL_VERSION, "capabilities": {},
            "clientInfo": {"name": "it", "version": "0"}}});
        let resp = self.mcp_post(Some(token), None, &init).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
        let _ = resp.text().await;
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let resp = self.mcp_post(Some(token), Some(&session), &note).await;
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        session
    }

    /// One JSON-RPC request in a session; returns the response message.
    pub async fn mcp_request(&self, token: &str, session: &str, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
        let resp = self.mcp_post(Some(token), Some(session), &body).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let ct = resp.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let text = resp.text().await.unwrap();
        shared::mcp::messages_from_body(&ct, &text).into_iter().find(|m| m["id"] == 7).expect("response message")
    }

    pub async fn introspect(&self, token: &str) -> Value {
        let resp = self
            .http
            .post(format!("{}/introspect", self.as_url))
            .basic_auth("mcp-resource-server", Some(&self.introspection_secret))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }
}

/// `name=value` of the first Set-Cookie.
pub fn cookie_pair(headers: &HeaderMap) -> Option<String> {
    headers.get(SET_COOKIE)?.to_str().ok()?.split(';').next().map(str::to_owned)
}
