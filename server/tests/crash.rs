//! Crash safety: real server processes under a load of full flows, refreshes and tool calls, one
//! killed with SIGKILL in the middle and started again on the same database (SQLite: the only
//! process; PostgreSQL: one of two replicas). Afterwards every token a client received still
//! works, unless its grant was revoked by refresh-token reuse (a lost refresh retried); and the
//! database holds no half-written grant, no code redeemed twice, no forked refresh family.

mod fleet;
mod load;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, StatusCode};
use serde_json::json;
use sqlx::Connection as _;

use crate::common::db::{self, Backend};
use crate::common::PASSWORD;
use fleet::Fleet;
use load::{Record, Targets};

/// Concurrent clients.
const TASKS: usize = 8;
/// Kills in a run, each after this much load (and as much again after the last restart).
const KILLS: usize = 3;
const LOAD_BETWEEN: Duration = Duration::from_millis(700);

/// A stateless (2026-07-28) `tools/call` at `mcp_url`: its status, or `Err` when no answer came.
pub async fn tool_call(http: &Client, mcp_url: &str, token: &str) -> Result<StatusCode, ()> {
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
    "name": "get_user_data", "arguments": {"user_id": "current"},
    "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "crash", "version": "0"},
    }}});
    let resp = http
        .post(mcp_url)
        .header(CONTENT_TYPE, "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header("MCP-Protocol-Version", "2026-07-28")
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", "get_user_data")
        .body(call.to_string())
        .send()
        .await
        .map_err(drop)?;
    let status = resp.status();
    resp.bytes().await.map_err(drop)?;
    Ok(status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_process_killed_under_load_loses_no_issued_token_and_leaves_no_half_written_grant() {
    for backend in Backend::all() {
        let started = Instant::now();
        crash_under_load(backend).await;
        eprintln!("crash test on {backend:?}: {:?}", started.elapsed());
    }
}

async fn crash_under_load(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db = db::fresh(backend, dir.path()).await;
    // One user per task: a sign-in in flight when its process dies stays counted as a failure
    // (the throttle fails closed), and several tasks sharing a user would lock it out.
    std::thread::scope(|threads| {
        for n in 0..TASKS {
            let (db, dir) = (&db, dir.path());
            threads.spawn(move || fleet::cli(db, dir, &["user", "add", &load::user(n), "--password-stdin"], PASSWORD));
        }
    });
    let processes = if backend == Backend::Sqlite { 1 } else { 2 };
    let mut fleet = Fleet::start(db.clone(), dir, processes);
    let targets = Targets {
        urls: fleet.servers.iter().map(|s| (s.as_url.clone(), s.mcp_url.clone())).collect(),
        resource: fleet.servers[0].resource.clone(),
    };
    let record = Arc::new(Mutex::new(Record::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> =
        (0..TASKS).map(|n| tokio::spawn(load::run(n, targets.clone(), record.clone(), stop.clone()))).collect();

    let victim = processes - 1; // with two, the one whose URLs are not the public ones
    let mut down = Vec::new();
    for _ in 0..KILLS {
        tokio::time::sleep(LOAD_BETWEEN).await;
        let killed_at = Instant::now();
        tokio::task::block_in_place(|| {
            fleet.kill(victim);
            fleet.restart(victim);
        });
        down.push(killed_at.elapsed());
    }
    let received_before = record.lock().unwrap().received.len();
    tokio::time::sleep(LOAD_BETWEEN).await;
    // On a loaded machine the first answers after the restart may take longer than that.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while record.lock().unwrap().received.len() <= received_before && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let record = std::mem::take(&mut *record.lock().unwrap());
    eprintln!(
        "{backend:?}: process {victim} killed {KILLS} times, down {down:?} each; {} exchanges, {} refreshes, {} tool calls, {} answers lost, \
         lost exchanges retried {:?} (tokens, replay refused), {} grants revoked by the reuse of a lost refresh",
        record.exchanges,
        record.refreshes,
        record.tool_calls,
        record.lost,
        record.code_retries,
        record.reused.len()
    );
    assert!(record.unexpected.is_empty(), "answers no client should get: {:?}", record.unexpected);
    assert!(record.received.len() > received_before, "load went on after the last restart");

    every_received_token_works_unless_its_grant_was_reused(&fleet, &record).await;
    the_database_is_consistent(backend, &db, &record).await;
}

/// Each received token, at one of the processes (in turn): works, or (its grant revoked by
/// reuse) is refused within the revocation poll.
async fn every_received_token_works_unless_its_grant_was_reused(fleet: &Fleet, record: &Record) {
    let http = Client::new();
    for (i, (token, gid)) in record.received.iter().enumerate() {
        let mcp_url = &fleet.servers[i % fleet.servers.len()].mcp_url;
        let want = if record.reused.contains(gid) { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let got = tool_call(&http, mcp_url, token).await.expect("a live process answers");
            if got == want {
                break;
            }
            assert!(Instant::now() < deadline, "token {i} of grant {gid}: {got}, expected {want}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The integer of a one-row, one-column `select`.
async fn count(conn: &mut sqlx::AnyConnection, select: &str) -> i64 {
    sqlx::query_scalar(select).fetch_one(conn).await.unwrap_or_else(|e| panic!("{select}: {e}"))
}

async fn the_database_is_consistent(backend: Backend, db: &str, record: &Record) {
    sqlx::any::install_default_drivers();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{db}"),
        Backend::Postgres => db.to_owned(),
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let checks = [
        (
            "access tokens of a grant without its refresh token (half-written exchange)",
            "SELECT COUNT(*) FROM access_tokens a WHERE a.family_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = a.family_id)",
        ),
        (
            "used codes without the tokens they were exchanged for (half-written exchange)",
            "SELECT COUNT(*) FROM auth_codes c WHERE c.used_at IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.code_hash = c.code_hash)",
        ),
        (
            "codes redeemed more than once",
            "SELECT COUNT(*) FROM (SELECT code_hash FROM access_tokens WHERE code_hash IS NOT NULL \
             GROUP BY code_hash HAVING COUNT(*) > 1) t",
        ),
        (
            "refresh families with more than one live refresh token (forked)",
            "SELECT COUNT(*) FROM (SELECT family_id FROM refresh_tokens WHERE used_at IS NULL AND revoked_at IS NULL \
             GROUP BY family_id HAVING COUNT(*) > 1) t",
        ),
    ];
    for (what, select) in checks {
        assert_eq!(count(&mut conn, select).await, 0, "{what}");
    }
    // Every token a client received was stored before it was sent (a crash lost none of them).
    let stored: HashSet<String> = sqlx::query_scalar("SELECT token_hash FROM access_tokens")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for (token, _) in &record.received {
        assert!(stored.contains(&server::oauth::secrets::hash(token)), "a received token is not in the database");
    }
    conn.close().await.ok();
}
