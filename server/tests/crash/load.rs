//! The clients of the crash test: each task signs in, exchanges codes, refreshes and calls a
//! tool, round-robin over the live processes, and records every token it RECEIVED. A request
//! whose answer is lost (the process died) is retried the way a client would: a lost token
//! exchange once with the same code, a lost refresh with the same refresh token until a process
//! answers. If the lost refresh had committed, that retry is refresh-token reuse, and the server
//! revokes the family: the task records the family so the final check knows why its tokens fail.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{COOKIE, LOCATION};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use url::Url;

use crate::common::{cookie_pair, hidden_field, new_verifier, PASSWORD, REDIRECT_URI};

/// Where the tasks send requests: each process's AS and MCP URLs (fixed across restarts).
#[derive(Clone)]
pub struct Targets {
    pub urls: Vec<(String, String)>,
    /// The public resource every token is for.
    pub resource: String,
}

#[derive(Default, Debug)]
pub struct Record {
    /// Access tokens a client received, with their grant (`gid`).
    pub received: Vec<(String, String)>,
    /// Grants revoked because a lost refresh was retried (reuse detection).
    pub reused: HashSet<String>,
    pub exchanges: usize,
    pub refreshes: usize,
    pub tool_calls: usize,
    /// Requests whose answer never came (the process was killed or was down).
    pub lost: usize,
    /// Lost token exchanges retried with the same code: (got tokens, refused as a replay).
    pub code_retries: (usize, usize),
    /// Answers no client should ever get.
    pub unexpected: Vec<String>,
}

pub fn gid_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["gid"].as_str().unwrap().to_owned()
}

/// The user task `n` signs in as.
pub fn user(n: usize) -> String {
    format!("alice{n}")
}

struct Task {
    user: String,
    http: Client,
    targets: Targets,
    record: Arc<Mutex<Record>>,
    turn: usize,
    client_id: String,
}

/// Runs one client until `stop`.
pub async fn run(n: usize, targets: Targets, record: Arc<Mutex<Record>>, stop: Arc<AtomicBool>) {
    let http =
        Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(5)).build().unwrap();
    let mut task = Task { user: user(n), http, targets, record, turn: n, client_id: String::new() };
    while task.client_id.is_empty() && !stop.load(Ordering::Relaxed) {
        task.register().await;
    }
    // The refresh token held, with its grant.
    let mut refresh: Option<(String, String)> = None;
    let mut step = 0usize;
    while !stop.load(Ordering::Relaxed) {
        step += 1;
        let got = match refresh.take() {
            Some((r, gid)) if !step.is_multiple_of(4) => task.refresh(r, gid).await,
            _ => task.flow().await,
        };
        // Nothing received (lost, or the grant ended): start over with a new flow.
        let access = got.as_ref().map(|(a, _)| a.clone());
        refresh = got.and_then(|(a, r)| Some((r?, gid_of(&a))));
        if let Some(a) = &access {
            task.tool_call(a).await;
        }
    }
}

impl Task {
    fn next(&mut self) -> (String, String) {
        self.turn += 1;
        self.targets.urls[self.turn % self.targets.urls.len()].clone()
    }

    fn note(&self, f: impl FnOnce(&mut Record)) {
        f(&mut self.record.lock().unwrap());
    }

    async fn register(&mut self) {
        let (as_url, _) = self.next();
        let body = serde_json::json!({"redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]});
        match self.http.post(format!("{as_url}/register")).json(&body).send().await {
            Ok(resp) if resp.status() == StatusCode::CREATED => {
                let v: Value = resp.json().await.unwrap();
                self.client_id = v["client_id"].as_str().unwrap().to_owned();
            }
            Ok(resp) => self.note(|r| r.unexpected.push(format!("register: {}", resp.status()))),
            Err(_) => {
                self.note(|r| r.lost += 1);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    /// Sign-in, consent (first time), code, token: on one process. A lost step before the token
    /// request abandons the attempt; a lost token request is retried once with the same code.
    async fn flow(&mut self) -> Option<(String, Option<String>)> {
        let (as_url, _) = self.next();
        let (client_id, resource) = (self.client_id.clone(), self.targets.resource.clone());
        let verifier = new_verifier();
        let mut url = Url::parse(&format!("{as_url}/authorize")).unwrap();
        url.query_pairs_mut().extend_pairs([
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "user"),
            ("state", "s"),
            ("code_challenge", &shared::pkce::challenge_s256(&verifier)),
            ("code_challenge_method", "S256"),
            ("resource", &resource),
        ]);
        let code = match self.sign_in(&as_url, url.as_str()).await {
            Ok(code) => code,
            Err(()) => {
                self.note(|r| r.lost += 1);
                tokio::time::sleep(Duration::from_millis(50)).await;
                return None;
            }
        };
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &client_id),
            ("code_verifier", &verifier),
            ("resource", &resource),
        ];
        let resp = match self.http.post(format!("{as_url}/token")).form(&form).send().await {
            Ok(resp) => resp,
            Err(_) => {
                self.note(|r| r.lost += 1);
                // The answer was lost: the same code, once, wherever a process answers.
                let resp = self.until_answered(&form).await?;
                let retried = resp.status();
                self.note(|r| if retried == StatusCode::OK { r.code_retries.0 += 1 } else { r.code_retries.1 += 1 });
                if retried != StatusCode::OK {
                    return None;
                }
                resp
            }
        };
        self.tokens(resp, "exchange").await
    }

    /// GET /authorize, sign in, allow if asked: the code, or `Err` when a request was lost.
    async fn sign_in(&self, as_url: &str, url: &str) -> Result<String, ()> {
        let resp = self.http.get(url).send().await.map_err(drop)?;
        if resp.status() != StatusCode::OK {
            return Err(()); // a server still starting may answer 503
        }
        let cookie = cookie_pair(resp.headers()).ok_or(())?;
        let html = resp.text().await.map_err(drop)?;
        let (request_id, csrf) = (hidden_field(&html, "request_id").ok_or(())?, hidden_field(&html, "csrf").ok_or(())?);
        let post = |path: &str, extra: &[(&str, &str)]| {
            let mut form = vec![("request_id", request_id.as_str()), ("csrf", csrf.as_str())];
            form.extend_from_slice(extra);
            self.http.post(format!("{as_url}{path}")).header(COOKIE, &cookie).form(&form).send()
        };
        let mut resp = post("/authorize/login", &[("username", self.user.as_str()), ("password", PASSWORD)])
            .await
            .map_err(drop)?;
        if resp.status() == StatusCode::OK {
            resp = post("/authorize/consent", &[("decision", "allow")]).await.map_err(drop)?;
        }
        if resp.status() != StatusCode::FOUND {
            return Err(()); // 503: every password hasher busy
        }
        let location = Url::parse(resp.headers()[LOCATION].to_str().unwrap()).unwrap();
        location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).ok_or(())
    }

    /// Sends a token request to the processes in turn until one answers (a lost answer is
    /// retried, as clients do); gives up after 15 s.
    async fn until_answered(&mut self, form: &[(&str, &str)]) -> Option<reqwest::Response> {
        for _ in 0..300 {
            let (as_url, _) = self.next();
            match self.http.post(format!("{as_url}/token")).form(form).send().await {
                Ok(resp) if resp.status() != StatusCode::SERVICE_UNAVAILABLE => return Some(resp),
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        self.note(|r| r.unexpected.push("no process answered a retried token request for 15 s".into()));
        None
    }

    async fn refresh(&mut self, refresh_token: String, gid: String) -> Option<(String, Option<String>)> {
        let client_id = self.client_id.clone();
        let form = [("grant_type", "refresh_token"), ("refresh_token", &refresh_token), ("client_id", &client_id)];
        let (as_url, _) = self.next();
        let resp = match self.http.post(format!("{as_url}/token")).form(&form).send().await {
            Ok(resp) => resp,
            Err(_) => {
                self.note(|r| r.lost += 1);
                let resp = self.until_answered(&form).await?;
                if resp.status() != StatusCode::OK {
                    // The lost rotation had committed: this retry is reuse, and the family is gone.
                    let body: Value = resp.json().await.unwrap_or_default();
                    self.note(|r| {
                        if body["error"] == "invalid_grant" {
                            r.reused.insert(gid);
                        } else {
                            r.unexpected.push(format!("retried refresh: {body}"));
                        }
                    });
                    return None;
                }
                resp
            }
        };
        self.tokens(resp, "refresh").await
    }

    /// Records a token response; `None` (and an unexpected answer noted) if it is not 200.
    async fn tokens(&self, resp: reqwest::Response, what: &str) -> Option<(String, Option<String>)> {
        let status = resp.status();
        let body: Value = match resp.json().await {
            Ok(body) => body,
            Err(_) => {
                self.note(|r| r.lost += 1);
                return None;
            }
        };
        if status != StatusCode::OK {
            self.note(|r| r.unexpected.push(format!("{what}: {status} {body}")));
            return None;
        }
        let access = body["access_token"].as_str().unwrap().to_owned();
        let refresh = body["refresh_token"].as_str().map(str::to_owned);
        let gid = gid_of(&access);
        self.note(|r| {
            if what == "exchange" {
                r.exchanges += 1;
            } else {
                r.refreshes += 1;
            }
            r.received.push((access.clone(), gid));
        });
        Some((access, refresh))
    }

    async fn tool_call(&mut self, access: &str) {
        let (_, mcp_url) = self.next();
        match super::tool_call(&self.http, &mcp_url, access).await {
            Ok(StatusCode::OK) => self.note(|r| r.tool_calls += 1),
            Ok(status) => self.note(|r| r.unexpected.push(format!("tools/call: {status}"))),
            Err(()) => self.note(|r| r.lost += 1),
        }
    }
}
