//! `--spa-dir` mode: every response of the SPA listener — the page, a client route that falls
//! back to `index.html`, a static asset — carries the Content-Security-Policy that forbids
//! inline script and framing, and `X-Frame-Options: DENY`. `Trunk.toml` must send the same
//! policy from `trunk serve`.

use reqwest::header::{CONTENT_SECURITY_POLICY, X_FRAME_OPTIONS};
use reqwest::StatusCode;
use server::config::ServeConfig;
use server::spa::CONTENT_SECURITY_POLICY as POLICY;
use server::store;
use tokio_util::sync::CancellationToken;

const INDEX: &str = "<!doctype html><title>spa</title>";

#[tokio::test]
async fn every_spa_response_forbids_inline_script_and_framing() {
    let dir = tempfile::tempdir().unwrap();
    let spa_dir = dir.path().join("dist");
    std::fs::create_dir(&spa_dir).unwrap();
    std::fs::write(spa_dir.join("index.html"), INDEX).unwrap();
    std::fs::write(spa_dir.join("app-0123.js"), "export {};").unwrap();
    let store = store::open(dir.path().join("test.db").to_str().unwrap()).await.unwrap();
    let cfg = ServeConfig {
        as_addr: "127.0.0.1:0".parse().unwrap(),
        rs_addr: "127.0.0.1:0".parse().unwrap(),
        spa_addr: Some("127.0.0.1:0".parse().unwrap()),
        spa_dir,
        ..ServeConfig::default()
    };
    let shutdown = CancellationToken::new();
    let running = server::start(&cfg, store, shutdown.clone()).await.unwrap();
    let spa = format!("http://{}", running.spa_addr.unwrap());
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    for (path, body) in [
        ("/", Some(INDEX)),
        ("/callback?code=x&state=y", Some(INDEX)),
        ("/console", Some(INDEX)),
        ("/app-0123.js", None),
        ("/no-such-file.wasm", None),
    ] {
        let resp = http.get(format!("{spa}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let headers = resp.headers().clone();
        let csp = headers.get(CONTENT_SECURITY_POLICY).unwrap_or_else(|| panic!("{path}: no CSP")).to_str().unwrap();
        assert_eq!(csp, POLICY, "{path}");
        assert_eq!(headers.get(X_FRAME_OPTIONS).and_then(|v| v.to_str().ok()), Some("DENY"), "{path}");
        assert_eq!(headers.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"), "{path}");
        if let Some(body) = body {
            assert_eq!(resp.text().await.unwrap(), body, "{path} serves the app");
        }
    }
    shutdown.cancel();
}

/// The policy itself: what each directive must say (and not say), and that `trunk serve`
/// (Trunk.toml) sends the very same string.
#[test]
fn the_policy_forbids_inline_script_plugins_base_and_framing() {
    let directives: Vec<&str> = POLICY.split(';').map(str::trim).collect();
    for required in [
        "script-src 'self' 'wasm-unsafe-eval'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "default-src 'self'",
        "style-src 'self'",
        "connect-src 'self' https: http:",
        // The console shows images MCP tools return as data URLs; images run nothing.
        "img-src 'self' data:",
    ] {
        assert!(directives.contains(&required), "missing {required:?} in {POLICY}");
    }
    for forbidden in ["'unsafe-inline'", "'unsafe-eval'", "data:", "*"] {
        // `data:` only for images: never for script, style, frames, objects or connections.
        let active = directives.iter().filter(|d| !d.starts_with("img-src "));
        assert!(!active.flat_map(|d| d.split_whitespace()).any(|w| w == forbidden), "{forbidden} in {POLICY}");
    }
    let trunk = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Trunk.toml")).unwrap();
    assert!(
        trunk.lines().any(|l| l.trim() == format!("Content-Security-Policy = \"{POLICY}\"")),
        "Trunk.toml [serve.headers] must send the policy of server/src/spa.rs"
    );
    assert!(trunk.lines().any(|l| l.trim() == "X-Frame-Options = \"DENY\""), "Trunk.toml must send X-Frame-Options");
}
