//! What the CLI keeps per issuer (the client registration and one session per MCP URL), the
//! core's [`CredentialStore`] and [`KeeperHooks`] on top of those files, and the HTTP client
//! with `--trace`.

use std::collections::BTreeMap;
use std::rc::Rc;

use client_core::http::{HttpClient, HttpRequest, HttpResponse, StreamingResponse, TransportError};
use client_core::keeper::{Change, KeeperHooks};
use client_core::{CredentialStore, Credentials, Exchange, Session};
use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::http::ReqwestHttp;
use crate::store::Store;

/// One issuer's file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct IssuerFile {
    /// The dynamic registration, reused by the next login at this issuer.
    #[serde(default)]
    pub registration: Option<Credentials>,
    /// MCP URL → its session (tokens for that resource).
    #[serde(default)]
    pub sessions: BTreeMap<String, Session>,
}

pub fn load(store: &Store, issuer: &str) -> Result<IssuerFile, CliError> {
    Ok(store.load_issuer(issuer)?.unwrap_or_default())
}

/// Read-modify-write of one issuer's file.
pub fn update(store: &Store, issuer: &str, change: impl FnOnce(&mut IssuerFile)) -> Result<(), CliError> {
    let mut file = load(store, issuer)?;
    change(&mut file);
    store.save_issuer(issuer, &file)
}

/// The core's registration store on the issuer files. The trait cannot fail, so a write error
/// is reported on stderr (the login itself still works; the next one registers again).
pub struct FileCredentials(pub Rc<Store>);

impl CredentialStore for FileCredentials {
    fn load(&self, issuer: &str) -> Option<Credentials> {
        load(&self.0, issuer).ok().and_then(|f| f.registration)
    }

    fn save(&self, credentials: &Credentials) {
        let saved = update(&self.0, &credentials.issuer, |f| f.registration = Some(credentials.clone()));
        if let Err(e) = saved {
            eprintln!("mcp-auth: warning: the client registration was not saved: {e}");
        }
    }

    fn forget(&self, issuer: &str, client_id: &str) {
        let _ = update(&self.0, issuer, |f| {
            if f.registration.as_ref().is_some_and(|r| r.client_id == client_id) {
                f.registration = None;
            }
        });
    }
}

/// Persists what the keeper renews (rotated refresh tokens must never be lost) and drops a
/// session whose grant ended.
pub struct FileHooks(pub Rc<Store>);

impl KeeperHooks for FileHooks {
    fn now_ms(&self) -> i64 {
        now_ms()
    }

    fn changed(&self, change: Change<'_>) {
        let result = match change {
            Change::Renewed(s) => update(&self.0, &s.issuer, |f| {
                f.sessions.insert(s.mcp_url.clone(), s.clone());
            }),
            Change::Ended { .. } => Ok(()),
        };
        if let Err(e) = result {
            eprintln!("mcp-auth: warning: the renewed tokens were not saved: {e}");
        }
    }
}

/// Milliseconds since the epoch (the core's clock unit).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub fn random(buf: &mut [u8]) {
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, buf);
}

/// reqwest, printing each exchange (redacted by the core's [`Exchange`]) to stderr with `--trace`.
pub struct Http {
    inner: ReqwestHttp,
    trace: bool,
}

impl Http {
    pub fn new(trace: bool) -> Result<Self, CliError> {
        let inner = ReqwestHttp::new().map_err(|e| CliError::Other(e.0))?;
        Ok(Self { inner, trace })
    }
}

impl HttpClient for Http {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        if !self.trace {
            return self.inner.send(req).await;
        }
        let res = self.inner.send(req.clone()).await;
        eprint!("{}", Exchange::new(&req, res.as_ref()).render());
        eprintln!();
        res
    }

    /// With `--trace`, a stream is shown by its head (its events are not printed).
    async fn open(&self, req: HttpRequest) -> Result<StreamingResponse, TransportError> {
        if !self.trace {
            return self.inner.open(req).await;
        }
        let res = self.inner.open(req.clone()).await;
        let head = res.as_ref().map(StreamingResponse::head).map_err(Clone::clone);
        eprint!("{}", Exchange::new(&req, head.as_ref()).render());
        eprintln!();
        res
    }

    async fn sleep(&self, ms: u64) {
        self.inner.sleep(ms).await;
    }
}

/// With `--trace`, each step of the login is named on stderr as it ends.
pub struct TraceSteps(pub bool);

impl client_core::Observer for TraceSteps {
    fn step(&self, step: &client_core::Step) {
        if self.0 && step.status != client_core::StepStatus::Pending {
            eprintln!("== {} [{}] {}\n", step.title, step.status.as_str(), step.detail);
        }
    }
}
