//! `--ready-file`: the real binary, started on port 0, reports where it listens once every
//! listener is up, so scripts never guess a free port; a path it cannot write stops the start.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &std::path::Path, ready: &std::path::Path, spa: bool) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.arg("--db").arg(dir.join("ready.db")).args(["serve", "--as-addr", "127.0.0.1:0", "--rs-addr", "127.0.0.1:0"]);
    cmd.arg("--ready-file").arg(ready);
    if spa {
        cmd.args(["--spa-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--spa-dir"]).arg(dir);
    }
    cmd.current_dir(dir).env_clear().env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

#[tokio::test]
async fn the_ready_file_names_every_bound_listener_and_each_answers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<!doctype html><title>spa</title>").unwrap();
    let ready = dir.path().join("ready.json");
    let _server = Killed(serve(dir.path(), &ready, true).spawn().unwrap());
    let started = Instant::now();
    while !ready.exists() {
        assert!(started.elapsed() < Duration::from_secs(30), "no ready file");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let info: Value = serde_json::from_str(&std::fs::read_to_string(&ready).unwrap()).unwrap();
    assert!(!dir.path().join("ready.json.tmp").exists(), "written through a temporary file, then renamed");
    let issuer = info["issuer"].as_str().unwrap();
    assert_eq!(issuer, format!("http://{}", info["as_addr"].as_str().unwrap()));
    assert_eq!(info["mcp_url"].as_str().unwrap(), format!("{}/mcp", info["rs_url"].as_str().unwrap()));
    assert!(info["pid"].as_u64().unwrap() > 0);
    let http = reqwest::Client::new();
    let metadata: Value = http
        .get(format!("{issuer}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], issuer);
    let mcp = http.post(info["mcp_url"].as_str().unwrap()).body("{}").send().await.unwrap();
    assert_eq!(mcp.status(), reqwest::StatusCode::UNAUTHORIZED);
    let spa = http.get(info["spa_url"].as_str().unwrap()).send().await.unwrap();
    assert!(spa.text().await.unwrap().contains("<title>spa</title>"));
    // The SPA it serves may call its own endpoints, whatever port it got.
    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{issuer}/token"))
        .header("Origin", info["spa_url"].as_str().unwrap())
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], info["spa_url"].as_str().unwrap());
    // `--metrics-addr` on port 0: the bound address is reported and serves `/metrics`.
    let metrics = http.get(format!("http://{}/metrics", info["metrics_addr"].as_str().unwrap())).send().await.unwrap();
    assert!(metrics.text().await.unwrap().contains("# TYPE http_requests counter"));
}

#[tokio::test]
async fn a_ready_file_that_cannot_be_written_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("no-such-folder").join("ready.json");
    let out = serve(dir.path(), &ready, false).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write the ready file"), "{stderr}");
}
