//! The database file holds the signing keys and the cookie key, so on unix it is created `0600`
//! inside a folder created `0700`. SQLite gives its `-wal` and `-shm` files the database file's
//! mode; files left by an older build (created under the umask) are tightened at every open.

use std::path::Path;

use sqlx::AnyPool;

use crate::error::Error;

/// Before SQLite opens `path`: creates missing folders `0700` and a missing file `0600`, so the
/// file is never readable by others, not even for a moment.
pub fn prepare(path: &Path) -> Result<(), Error> {
    let fail = |what: &Path, e: std::io::Error| Error::Config(format!("cannot create {}: {e}", what.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        let mut dirs = std::fs::DirBuilder::new();
        dirs.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dirs, 0o700);
        dirs.create(parent).map_err(|e| fail(parent, e))?;
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    match file.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(fail(path, e)),
    }
}

/// After opening: the database file SQLite actually uses (also for `sqlite:` URLs), and its
/// `-wal` and `-shm` files, are made `0600`.
pub async fn restrict(pool: &AnyPool) -> Result<(), Error> {
    let databases: Vec<(i64, String, String)> = sqlx::query_as("PRAGMA database_list").fetch_all(pool).await?;
    let Some((_, _, main)) = databases.into_iter().find(|(_, name, _)| name == "main") else {
        return Ok(());
    };
    if main.is_empty() {
        return Ok(()); // in memory
    }
    for suffix in ["", "-wal", "-shm"] {
        owner_only(Path::new(&format!("{main}{suffix}")));
    }
    Ok(())
}

#[cfg(unix)]
fn owner_only(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(meta) = std::fs::metadata(path) else { return };
    if meta.permissions().mode() & 0o077 != 0 {
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(path = %path.display(), error = %e, "could not make the database file private");
        }
    }
}

#[cfg(not(unix))]
fn owner_only(_: &Path) {}
