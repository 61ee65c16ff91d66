//! Real `server` processes on one database, started the way `tests/harness.sh` does (port 0, a
//! ready file) and killed with SIGKILL. Every child is killed when the fleet is dropped, so a
//! failing test leaves no process behind.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Server {
    child: Child,
    /// The real addresses, kept for a restart on the same ones.
    pub as_addr: String,
    pub rs_addr: String,
    pub as_url: String,
    pub mcp_url: String,
    /// The public resource (`mcp_url` of the ready file), the audience of every token.
    pub resource: String,
}

pub struct Fleet {
    pub servers: Vec<Server>,
    pub db: String,
    dir: tempfile::TempDir,
    /// `--as-public-url`/`--rs-public-url` for every process but the first's first start.
    public: Vec<String>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for s in &mut self.servers {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
    }
}

/// Runs the `server` CLI once (with `stdin`), failing the test if it fails.
pub fn cli(db: &str, dir: &Path, args: &[&str], stdin: &str) {
    let out = crate::common::db::server_cli(db, dir, args, stdin);
    assert!(out.status.success(), "server {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

impl Fleet {
    /// `n` processes on `db`, all naming the first one's URLs as the public ones.
    pub fn start(db: String, dir: tempfile::TempDir, n: usize) -> Fleet {
        let mut fleet = Fleet { servers: Vec::new(), db, dir, public: Vec::new() };
        for i in 0..n {
            let server = fleet.spawn(i, "127.0.0.1:0", "127.0.0.1:0");
            if i == 0 {
                let rs_url = server.mcp_url.trim_end_matches("/mcp").to_owned();
                fleet.public = vec!["--as-public-url".into(), server.as_url.clone(), "--rs-public-url".into(), rs_url];
            }
            fleet.servers.push(server);
        }
        fleet
    }

    fn log(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("server-{i}.log"))
    }

    fn spawn(&self, i: usize, as_addr: &str, rs_addr: &str) -> Server {
        let ready = self.dir.path().join(format!("ready-{i}.json"));
        let _ = std::fs::remove_file(&ready);
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log(i)).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--db", &self.db, "serve", "--as-addr", as_addr, "--rs-addr", rs_addr])
            .arg("--ready-file")
            .arg(&ready)
            // No token expires and no limit is reached during the run: only the crash can explain a loss.
            .args(["--access-token-ttl", "3600", "--registrations-per-window", "100000"])
            // Sign-ins in flight at a kill stay counted against the address; eight tasks share one.
            .args(["--login-failures-per-address", "100000"])
            .args(["--password-hashing-concurrency", "8"])
            .args(&self.public)
            .current_dir(self.dir.path())
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            as_addr: String::new(),
            rs_addr: String::new(),
            as_url: String::new(),
            mcp_url: String::new(),
            resource: String::new(),
        };
        let started = Instant::now();
        let info: Value = loop {
            if let Some(info) = std::fs::read_to_string(&ready).ok().and_then(|t| serde_json::from_str(&t).ok()) {
                break info;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("server {i} exited ({status}): {}", self.log_tail(i));
            }
            assert!(started.elapsed() < Duration::from_secs(30), "server {i} never got ready: {}", self.log_tail(i));
            std::thread::sleep(Duration::from_millis(20));
        };
        let text = |k: &str| info[k].as_str().unwrap_or_else(|| panic!("{k} in {info}")).to_owned();
        server.as_addr = text("as_addr");
        server.rs_addr = text("rs_addr");
        server.as_url = format!("http://{}", server.as_addr);
        server.mcp_url = format!("http://{}/mcp", server.rs_addr);
        server.resource = text("mcp_url");
        server
    }

    /// SIGKILL: no shutdown, no WAL checkpoint, requests in flight lost.
    pub fn kill(&mut self, i: usize) {
        let s = &mut self.servers[i];
        s.child.kill().unwrap();
        s.child.wait().unwrap();
    }

    /// Starts process `i` again, on the same database and addresses.
    pub fn restart(&mut self, i: usize) {
        let (as_addr, rs_addr) = (self.servers[i].as_addr.clone(), self.servers[i].rs_addr.clone());
        let server = self.spawn(i, &as_addr, &rs_addr);
        self.servers[i] = server;
    }

    pub fn log_tail(&self, i: usize) -> String {
        let text = std::fs::read_to_string(self.log(i)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}
