//! BENCHMARK ONLY: obtains an access token through the real HTTP authorization flow, headlessly
//! (register → /authorize → login form → consent form → /token), then times the flow "without
//! hashing": a returning user whose browser keeps its login session cookie and who already
//! allowed this client, so /authorize answers with a code at once (no argon2) and the client
//! redeems it at /token (PKCE, a fresh verifier per flow). Used by `bench/mcp_hot_path.sh`.
//!
//! usage: headless_flow --as-url URL --mcp-url URL --username U --password-file F
//!                      [--flows N (200)] [--concurrency C (8)] [--token-file PATH]
//! Prints `key=value` lines: flow_p50_ms, flow_p99_ms, sequential_flows_per_s, flows_per_s
//! (with C flows in flight). Writes the first access token to --token-file.

use std::time::{Duration, Instant};

use reqwest::header::LOCATION;
use reqwest::{redirect, Client, StatusCode};
use serde_json::Value;
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:9/cb";

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Flow {
    http: Client,
    as_url: String,
    mcp_url: String,
    client_id: String,
}

fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

fn code_from(resp: &reqwest::Response) -> Result<String, Error> {
    if resp.status() != StatusCode::FOUND {
        return Err(format!("expected a redirect with a code, got {}", resp.status()).into());
    }
    let location = Url::parse(resp.headers().get(LOCATION).ok_or("no Location")?.to_str()?)?;
    let code = location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned());
    code.ok_or_else(|| format!("no code in {location}").into())
}

impl Flow {
    fn authorize_url(&self, verifier: &str) -> String {
        let mut url = Url::parse(&format!("{}/authorize", self.as_url)).expect("issuer URL");
        url.query_pairs_mut().extend_pairs([
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "user"),
            ("state", "bench"),
            ("code_challenge", &shared::pkce::challenge_s256(verifier)),
            ("code_challenge_method", "S256"),
            ("resource", &self.mcp_url),
        ]);
        url.into()
    }

    async fn redeem(&self, code: &str, verifier: &str) -> Result<String, Error> {
        let resp = self
            .http
            .post(format!("{}/token", self.as_url))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", &self.client_id),
                ("code_verifier", verifier),
                ("resource", &self.mcp_url),
            ])
            .send()
            .await?;
        if resp.status() != StatusCode::OK {
            return Err(format!("/token answered {}", resp.status()).into());
        }
        let body: Value = resp.json().await?;
        body["access_token"].as_str().map(str::to_owned).ok_or_else(|| "no access_token".into())
    }

    /// The first flow: login form (argon2) and consent form, which is remembered.
    async fn first(&self, username: &str, password: &str) -> Result<String, Error> {
        let verifier = shared::pkce::verifier_from_bytes(&rand::random::<[u8; 32]>());
        let page = self.http.get(self.authorize_url(&verifier)).send().await?.text().await?;
        let field = |name| hidden_field(&page, name).ok_or(format!("no {name} on the login page"));
        let (request_id, csrf) = (field("request_id")?, field("csrf")?);
        let login = [("request_id", &*request_id), ("csrf", &*csrf), ("username", username), ("password", password)];
        let resp = self.http.post(format!("{}/authorize/login", self.as_url)).form(&login).send().await?;
        let resp = if resp.status() == StatusCode::OK {
            let consent = [("request_id", &*request_id), ("csrf", &*csrf), ("decision", "allow")];
            self.http.post(format!("{}/authorize/consent", self.as_url)).form(&consent).send().await?
        } else {
            resp
        };
        self.redeem(&code_from(&resp)?, &verifier).await
    }

    /// A returning user's flow: session cookie and remembered consent, so no password hashing.
    async fn again(&self) -> Result<Duration, Error> {
        let start = Instant::now();
        let verifier = shared::pkce::verifier_from_bytes(&rand::random::<[u8; 32]>());
        let resp = self.http.get(self.authorize_url(&verifier)).send().await?;
        self.redeem(&code_from(&resp)?, &verifier).await?;
        Ok(start.elapsed())
    }
}

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let need = |flag: &str| arg(&args, flag).ok_or_else(|| format!("{flag} is required"));
    let (as_url, mcp_url, username) = (need("--as-url")?, need("--mcp-url")?, need("--username")?);
    let password = std::fs::read_to_string(need("--password-file")?)?.trim_end().to_owned();
    let flows: usize = arg(&args, "--flows").map_or(Ok(200), |v| v.parse())?;
    let concurrency: usize = arg(&args, "--concurrency").map_or(Ok(8), |v| v.parse())?;

    let http = Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build()?;
    let registration = serde_json::json!({"client_name": "bench", "redirect_uris": [REDIRECT_URI]});
    let resp = http.post(format!("{as_url}/register")).json(&registration).send().await?;
    let client_id = resp.json::<Value>().await?["client_id"].as_str().ok_or("registration failed")?.to_owned();
    let flow = std::sync::Arc::new(Flow { http, as_url, mcp_url, client_id });

    let token = flow.first(&username, &password).await?;
    if let Some(path) = arg(&args, "--token-file") {
        std::fs::write(path, &token)?;
    }

    // Latency: one flow at a time.
    let start = Instant::now();
    let mut times = Vec::with_capacity(flows);
    for _ in 0..flows {
        times.push(flow.again().await?);
    }
    let sequential = flows as f64 / start.elapsed().as_secs_f64();
    times.sort();
    let pick = |q: f64| ms(times[((times.len() as f64 * q) as usize).min(times.len() - 1)]);

    // Throughput: `concurrency` flows in flight.
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..concurrency {
        let flow = flow.clone();
        let share = flows / concurrency + usize::from(w < flows % concurrency);
        workers.spawn(async move {
            for _ in 0..share {
                flow.again().await?;
            }
            Ok::<_, Error>(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    let concurrent = flows as f64 / start.elapsed().as_secs_f64();

    println!("flow_p50_ms={:.2}", pick(0.5));
    println!("flow_p99_ms={:.2}", pick(0.99));
    println!("sequential_flows_per_s={sequential:.0}");
    println!("flows_per_s={concurrent:.0}");
    Ok(())
}
