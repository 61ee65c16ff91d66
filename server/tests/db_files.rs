//! The database holds the signing keys and the cookie key: the real binary, started under a
//! permissive umask (`000`), still creates its folders `0700` and the database with its `-wal`
//! and `-shm` files `0600`, and tightens a database file left world-readable by an older build.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `server --db DB serve` on port 0 under `umask 000`; returns once its ready file exists.
fn start_server(db: &Path, ready: &Path) -> Child {
    let _ = std::fs::remove_file(ready);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000 && exec "$0" --db "$1" serve --as-addr 127.0.0.1:0 --rs-addr 127.0.0.1:0 --ready-file "$2""#)
        .arg(env!("CARGO_BIN_EXE_server"))
        .arg(db)
        .arg(ready)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Waits for the server to say it is ready (or to die), not for a fixed time.
    for _ in 0..1200 {
        if ready.exists() {
            return child;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited before it was ready: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the server did not become ready");
}

fn stop(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn with_suffix(db: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db.display()))
}

fn assert_private(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let file = with_suffix(db, suffix);
        assert_eq!(mode(&file), 0o600, "{} must be readable by its owner only", file.display());
    }
}

#[test]
fn the_database_is_private_even_under_a_permissive_umask() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/nested/keys.db");
    let ready = dir.path().join("ready.json");
    let server = start_server(&db, &ready);
    assert_eq!(mode(&dir.path().join("data")), 0o700, "folders the server creates are private");
    assert_eq!(mode(&dir.path().join("data/nested")), 0o700);
    assert_private(&db);
    stop(server);

    // A file an older build left world-readable is tightened at the next start.
    for suffix in ["", "-wal", "-shm"] {
        let file = with_suffix(&db, suffix);
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        }
    }
    let server = start_server(&db, &ready);
    assert_private(&db);
    stop(server);
}
