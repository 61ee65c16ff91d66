//! Credentials on disk: one JSON file per issuer under `$XDG_CONFIG_HOME/mcp-auth/` (fallback
//! `~/.config/mcp-auth/`), plus `servers.json` mapping each MCP URL to its issuer and naming the
//! last URL logged in to. Files are 0600 in a 0700 folder, written atomically (temp file in the
//! same folder, fsync, rename), so a crash never leaves a half-written token file.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::CliError;

/// Which MCP URL belongs to which issuer, and the URL commands use without `--url`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Servers {
    #[serde(default)]
    pub last_url: Option<String>,
    /// MCP URL → issuer.
    #[serde(default)]
    pub issuers: BTreeMap<String, String>,
}

pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The folder from the environment: `$XDG_CONFIG_HOME/mcp-auth`, else `$HOME/.config/mcp-auth`.
    pub fn from_env() -> Result<Self, CliError> {
        let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
            Some(xdg) => PathBuf::from(xdg),
            None => {
                let home = std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| CliError::Store("neither XDG_CONFIG_HOME nor HOME is set".into()))?;
                PathBuf::from(home).join(".config")
            }
        };
        Ok(Self { dir: base.join("mcp-auth") })
    }

    #[cfg(test)]
    pub fn at(dir: PathBuf) -> Self {
        Self { dir }
    }

    #[cfg(test)]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The credentials file of `issuer`: readable host name plus a hash of the whole issuer, so
    /// two issuers on one host (different paths or ports) never share a file.
    pub fn issuer_file(&self, issuer: &str) -> PathBuf {
        let host: String = url::Url::parse(issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' })
            .collect();
        let digest = Sha256::digest(issuer.as_bytes());
        let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{host}-{hash}.json"))
    }

    pub fn load_servers(&self) -> Result<Servers, CliError> {
        Ok(self.read(&self.dir.join("servers.json"))?.unwrap_or_default())
    }

    pub fn save_servers(&self, servers: &Servers) -> Result<(), CliError> {
        self.write(&self.dir.join("servers.json"), servers)
    }

    pub fn load_issuer<T: DeserializeOwned>(&self, issuer: &str) -> Result<Option<T>, CliError> {
        self.read(&self.issuer_file(issuer))
    }

    pub fn save_issuer<T: Serialize>(&self, issuer: &str, value: &T) -> Result<(), CliError> {
        self.write(&self.issuer_file(issuer), value)
    }

    fn read<T: DeserializeOwned>(&self, path: &Path) -> Result<Option<T>, CliError> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| CliError::Store(format!("{} is not valid: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read", path, e)),
        }
    }

    fn write<T: Serialize>(&self, path: &Path, value: &T) -> Result<(), CliError> {
        self.ensure_dir()?;
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| CliError::Store(e.to_string()))?;
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let result = (|| {
            let mut file = private_file(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("write", path, e));
        }
        Ok(())
    }

    fn ensure_dir(&self) -> Result<(), CliError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.dir).map_err(|e| io_err("create", &self.dir, e))?;
        // A folder that existed with looser rights (made by hand, or an umask) is tightened.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| io_err("chmod", &self.dir, e))?;
        }
        Ok(())
    }
}

/// A new file only the owner can read, whatever the umask.
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> CliError {
    CliError::Store(format!("could not {what} {}: {e}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn files_are_private_and_replaced_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::at(tmp.path().join("mcp-auth"));
        store.save_issuer("https://as.example/tenant", &serde_json::json!({"a": 1})).unwrap();
        store.save_issuer("https://as.example/tenant", &serde_json::json!({"a": 2})).unwrap();
        let loaded: serde_json::Value = store.load_issuer("https://as.example/tenant").unwrap().unwrap();
        assert_eq!(loaded["a"], 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = fs::metadata(store.issuer_file("https://as.example/tenant")).unwrap();
            assert_eq!(file.permissions().mode() & 0o777, 0o600);
            let dir = fs::metadata(store.dir()).unwrap();
            assert_eq!(dir.permissions().mode() & 0o777, 0o700);
        }
        // No temp file left behind.
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 1);
    }

    #[test]
    fn issuers_on_one_host_get_their_own_files() {
        let store = Store::at(PathBuf::from("/x"));
        let a = store.issuer_file("http://127.0.0.1:9000");
        let b = store.issuer_file("http://127.0.0.1:9001");
        assert_ne!(a, b);
        assert!(a.file_name().unwrap().to_str().unwrap().starts_with("127.0.0.1-"));
    }
}
