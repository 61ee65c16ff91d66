//! A fake MCP resource server and authorization server in one axum app, configurable per test
//! (issuer path, which metadata URLs answer, RFC 9207 behaviour, CIMD, client auth, scopes),
//! that checks what a client must send (PKCE S256, `resource` on authorize and token, client
//! authentication) and logs every request it sees.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Iss {
    Correct,
    Omit,
    Wrong,
    TrailingSlash,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// The issuer's path ("" or e.g. "/tenant").
    pub issuer_path: String,
    /// Which AS metadata well-known URL paths answer (full paths); empty = the RFC 8414 one.
    pub asm_paths: Vec<String>,
    /// The `issuer` the metadata claims; `None` = the true one.
    pub claimed_issuer: Option<String>,
    pub prm_in_challenge: bool,
    /// Serve the PRM at the path-aware URL (else only at the root).
    pub prm_path_aware: bool,
    pub challenge_scope: Option<String>,
    pub prm_scopes: Vec<String>,
    pub as_scopes: Vec<String>,
    pub iss_advertised: bool,
    pub iss: Iss,
    pub cimd: bool,
    pub auth_methods: Vec<String>,
    /// A secret the AS hands out on registration (it then requires it).
    pub issue_secret: bool,
    /// Scope `tools/call` needs.
    pub tool_scope: Option<String>,
    /// Access tokens live this long.
    pub expires_in: u64,
    /// Another AS this RS names instead (the PRM's `authorization_servers[0]`).
    pub other_as: Option<String>,
    /// The `resource` the PRM claims; `None` = the true MCP URL.
    pub prm_resource: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            issuer_path: String::new(),
            asm_paths: Vec::new(),
            claimed_issuer: None,
            prm_in_challenge: true,
            prm_path_aware: true,
            challenge_scope: Some("user".into()),
            prm_scopes: vec!["user".into(), "user:write".into()],
            as_scopes: vec!["user".into(), "user:write".into()],
            iss_advertised: true,
            iss: Iss::Correct,
            cimd: false,
            auth_methods: vec!["none".into(), "client_secret_basic".into(), "client_secret_post".into()],
            issue_secret: false,
            tool_scope: None,
            expires_in: 3600,
            other_as: None,
            prm_resource: None,
        }
    }
}

struct Grant {
    client_id: String,
    challenge: String,
    resource: String,
    scope: String,
}

#[derive(Default)]
pub struct State {
    /// `METHOD path?query` of every request, in order.
    pub log: Vec<String>,
    /// Form fields (and the Authorization header, as `authorization`) of every token request.
    pub token_requests: Vec<HashMap<String, String>>,
    pub registrations: Vec<Value>,
    /// Client id → secret, for registered clients with secrets and pre-registered ones.
    pub secrets: HashMap<String, String>,
    codes: HashMap<String, Grant>,
    /// Access token → scope.
    pub tokens: HashMap<String, String>,
    /// Refresh token → (client_id, scope); removed when used (rotation).
    refresh: HashMap<String, (String, String)>,
    counter: u64,
}

#[derive(Clone)]
pub struct Fake {
    pub base: String,
    pub config: Config,
    pub state: Arc<Mutex<State>>,
}

impl Fake {
    pub async fn start(config: Config) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let fake = Self { base, config, state: Arc::new(Mutex::new(State::default())) };
        let app_fake = fake.clone();
        let app = axum::Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
            let f = app_fake.clone();
            async move { f.handle(m, u, h, b) }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn issuer(&self) -> String {
        format!("{}{}", self.base, self.config.issuer_path)
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.state.lock().unwrap().token_requests.clone()
    }

    /// Follows the authorization URL as a browser would (the fake AS consents at once) and
    /// returns the callback's query.
    pub async fn authorize(&self, authorization_url: &str) -> String {
        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(authorization_url)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302, "{:?}", res.text().await);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        url::Url::parse(&location).unwrap().query().unwrap_or_default().to_owned()
    }

    fn handle(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let path = uri.path().to_owned();
        let query = uri.query().unwrap_or_default().to_owned();
        self.state.lock().unwrap().log.push(format!("{method} {path}{}", if query.is_empty() { "" } else { "?" }));
        let ip = &self.config.issuer_path;
        let form = || -> HashMap<String, String> { url::form_urlencoded::parse(&body).into_owned().collect() };
        match (method.as_str(), path.as_str()) {
            ("POST", "/mcp") => self.mcp(&headers, &body),
            ("GET", p) if p.starts_with("/.well-known/oauth-protected-resource") => self.prm(p),
            ("GET", p) if self.asm_paths().iter().any(|a| a == p) => json_response(200, &self.asm()),
            ("GET", p) if *p == format!("{ip}/authorize") => self.authorize_endpoint(&query),
            ("POST", p) if *p == format!("{ip}/token") => self.token(&headers, form()),
            ("POST", p) if *p == format!("{ip}/register") => self.register(&body),
            ("POST", p) if *p == format!("{ip}/revoke") => StatusCode::OK.into_response(),
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }

    fn asm_paths(&self) -> Vec<String> {
        if self.config.asm_paths.is_empty() {
            vec![format!("/.well-known/oauth-authorization-server{}", self.config.issuer_path)]
        } else {
            self.config.asm_paths.clone()
        }
    }

    fn asm(&self) -> Value {
        let i = self.issuer();
        json!({
            "issuer": self.config.claimed_issuer.clone().unwrap_or_else(|| i.clone()),
            "authorization_endpoint": format!("{i}/authorize"),
            "token_endpoint": format!("{i}/token"),
            "registration_endpoint": format!("{i}/register"),
            "revocation_endpoint": format!("{i}/revoke"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": self.config.auth_methods,
            "scopes_supported": self.config.as_scopes,
            "authorization_response_iss_parameter_supported": self.config.iss_advertised,
            "client_id_metadata_document_supported": self.config.cimd,
        })
    }

    fn prm(&self, path: &str) -> Response {
        let served = if self.config.prm_path_aware {
            "/.well-known/oauth-protected-resource/mcp"
        } else {
            "/.well-known/oauth-protected-resource"
        };
        if path != served {
            return StatusCode::NOT_FOUND.into_response();
        }
        let as_url = self.config.other_as.clone().unwrap_or_else(|| self.issuer());
        json_response(
            200,
            &json!({ "resource": self.config.prm_resource.clone().unwrap_or_else(|| self.mcp_url()), "authorization_servers": [as_url], "scopes_supported": self.config.prm_scopes }),
        )
    }

    fn challenge(&self, error: Option<&str>, scope: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(e) = error {
            parts.push(format!("error=\"{e}\""));
        }
        if let Some(s) = scope {
            parts.push(format!("scope=\"{s}\""));
        }
        if self.config.prm_in_challenge {
            parts.push(format!("resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"", self.base));
        }
        format!("Bearer {}", parts.join(", "))
    }

    fn mcp(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let scope = token.and_then(|t| self.state.lock().unwrap().tokens.get(t).cloned());
        let Some(scope) = scope else {
            let www = self.challenge(token.map(|_| "invalid_token"), self.config.challenge_scope.as_deref());
            return (StatusCode::UNAUTHORIZED, [("www-authenticate", www)]).into_response();
        };
        let msg: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let id = msg["id"].clone();
        let result = match msg["method"].as_str().unwrap_or_default() {
            "initialize" => {
                let r = json!({"jsonrpc": "2.0", "id": id, "result": {"protocolVersion": "2025-06-18", "capabilities": {}, "serverInfo": {"name": "fake", "version": "1"}}});
                return (
                    StatusCode::OK,
                    [("mcp-session-id", "s-1"), ("content-type", "application/json")],
                    r.to_string(),
                )
                    .into_response();
            }
            m if m.starts_with("notifications/") => return StatusCode::ACCEPTED.into_response(),
            // Two pages: clients that want everything follow `nextCursor`.
            "tools/list" if msg["params"]["cursor"] == "p2" => json!({"tools": [{"name": "reverse"}]}),
            "tools/list" => json!({"tools": [{"name": "echo", "description": "says it back"}], "nextCursor": "p2"}),
            "tools/call" => {
                if let Some(needed) = &self.config.tool_scope {
                    if !scope.split(' ').any(|s| s == needed) {
                        let www = self.challenge(Some("insufficient_scope"), Some(needed));
                        return (StatusCode::FORBIDDEN, [("www-authenticate", www)]).into_response();
                    }
                }
                json!({"content": [{"type": "text", "text": format!("scope {scope}")}]})
            }
            "resources/list" => json!({"resources": [{"uri": "user://profile", "name": "profile"}]}),
            "resources/read" => json!({"contents": [{"uri": "user://profile", "text": "{\"username\":\"alice\"}"}]}),
            "prompts/list" => json!({"prompts": [{"name": "greet", "description": "hello"}]}),
            "prompts/get" => json!({"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}]}),
            other => {
                return json_response(
                    200,
                    &json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("no {other}")}}),
                )
            }
        };
        json_response(200, &json!({"jsonrpc": "2.0", "id": id, "result": result}))
    }

    fn authorize_endpoint(&self, query: &str) -> Response {
        let q: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        assert_eq!(q.get("code_challenge_method").map(String::as_str), Some("S256"), "PKCE S256 is required");
        assert_eq!(q.get("resource"), Some(&self.mcp_url()), "resource on the authorization request");
        let mut st = self.state.lock().unwrap();
        st.counter += 1;
        let code = format!("code-{}", st.counter);
        st.codes.insert(
            code.clone(),
            Grant {
                client_id: q["client_id"].clone(),
                challenge: q["code_challenge"].clone(),
                resource: q["resource"].clone(),
                scope: q.get("scope").cloned().unwrap_or_default(),
            },
        );
        let mut to = url::Url::parse(&q["redirect_uri"]).unwrap();
        to.query_pairs_mut().append_pair("code", &code).append_pair("state", &q["state"]);
        let iss = match self.config.iss {
            Iss::Correct => Some(self.issuer()),
            Iss::Omit => None,
            Iss::Wrong => Some("https://evil.example.com".into()),
            Iss::TrailingSlash => Some(format!("{}/", self.issuer())),
        };
        if let Some(iss) = iss {
            to.query_pairs_mut().append_pair("iss", &iss);
        }
        (StatusCode::FOUND, [("location", to.to_string())]).into_response()
    }

    /// The client behind a token request, authenticated as its registration requires (`None`:
    /// authentication failed).
    fn client(&self, headers: &HeaderMap, form: &HashMap<String, String>) -> Option<String> {
        let basic = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "));
        let (id, secret) = match basic {
            Some(b) => {
                let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap()).unwrap();
                let (id, secret) = decoded.split_once(':').unwrap();
                // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
                let dec =
                    |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().unwrap().1.into_owned();
                (dec(id), Some(dec(secret)))
            }
            None => (form.get("client_id").cloned().unwrap_or_default(), form.get("client_secret").cloned()),
        };
        let st = self.state.lock().unwrap();
        match st.secrets.get(&id) {
            Some(expected) if secret.as_ref() != Some(expected) => None,
            _ => Some(id),
        }
    }

    fn token(&self, headers: &HeaderMap, form: HashMap<String, String>) -> Response {
        let mut logged = form.clone();
        if let Some(a) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
            logged.insert("authorization".into(), a.to_owned());
        }
        self.state.lock().unwrap().token_requests.push(logged);
        let Some(client_id) = self.client(headers, &form) else {
            return oauth_error(401, "invalid_client");
        };
        if form.get("resource") != Some(&self.mcp_url()) {
            return oauth_error(400, "invalid_target");
        }
        let mut st = self.state.lock().unwrap();
        let scope = match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                let Some(g) = st.codes.remove(form.get("code").map(String::as_str).unwrap_or_default()) else {
                    return oauth_error(400, "invalid_grant");
                };
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier));
                if computed != g.challenge || g.client_id != client_id || g.resource != self.mcp_url() {
                    return oauth_error(400, "invalid_grant");
                }
                g.scope
            }
            Some("refresh_token") => {
                match st.refresh.remove(form.get("refresh_token").map(String::as_str).unwrap_or_default()) {
                    Some((id, scope)) if id == client_id => scope,
                    _ => return oauth_error(400, "invalid_grant"),
                }
            }
            _ => return oauth_error(400, "unsupported_grant_type"),
        };
        st.counter += 1;
        let (access, refresh) = (format!("at-{}", st.counter), format!("rt-{}", st.counter));
        st.tokens.insert(access.clone(), scope.clone());
        st.refresh.insert(refresh.clone(), (client_id, scope.clone()));
        json_response(
            200,
            &json!({"access_token": access, "token_type": "Bearer", "expires_in": self.config.expires_in, "refresh_token": refresh, "scope": scope}),
        )
    }

    fn register(&self, body: &[u8]) -> Response {
        let req: Value = serde_json::from_slice(body).unwrap();
        let mut st = self.state.lock().unwrap();
        st.registrations.push(req.clone());
        st.counter += 1;
        let client_id = format!("client-{}-{}", self.base.rsplit(':').next().unwrap_or_default(), st.counter);
        // Only `client_id` is required in the answer (RFC 7591 §3.2.1).
        let mut answer = json!({ "client_id": client_id });
        if self.config.issue_secret {
            let secret = format!("secret-{}", st.counter);
            st.secrets.insert(client_id, secret.clone());
            answer["client_secret"] = json!(secret);
            answer["token_endpoint_auth_method"] = json!("client_secret_post");
        }
        json_response(201, &answer)
    }

    /// Revokes every access token (the RS then answers 401 invalid_token).
    pub fn expire_access_tokens(&self) {
        self.state.lock().unwrap().tokens.clear();
    }

    pub fn add_client_secret(&self, client_id: &str, secret: &str) {
        self.state.lock().unwrap().secrets.insert(client_id.into(), secret.into());
    }
}

fn json_response(status: u16, v: &Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), [("content-type", "application/json")], v.to_string()).into_response()
}

fn oauth_error(status: u16, error: &str) -> Response {
    json_response(status, &json!({ "error": error }))
}
