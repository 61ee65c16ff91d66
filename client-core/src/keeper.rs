//! Keeping a session alive with rotating refresh tokens (RFC 6749 §6, OAuth 2.1 §4.3.1), and
//! the 401/403 handling of MCP calls.
//!
//! Every refresh spends the refresh token it sends (the server revokes the whole grant when a
//! spent one comes back), so at most one refresh is in flight: later callers await the same
//! shared future (single flight). The new session is handed to the caller's hook as soon as the
//! answer arrives; a spawner, when given, drives the refresh to its end even if every caller
//! goes away. After [`TokenKeeper::close`] no refresh begins. An OAuth error or a 4xx from the
//! token endpoint ends the session ([`CoreError::Unauthorized`]); network and 5xx failures are
//! passed on unchanged.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use shared::scopes::ScopeSet;

use crate::error::CoreError;
use crate::http::HttpClient;
use crate::mcp::McpClient;
use crate::scope;
use crate::token::{self, Session};

type InFlight = Shared<LocalBoxFuture<'static, Result<Session, CoreError>>>;

/// What happened to the session, for the caller to persist or show.
pub enum Change<'a> {
    /// A refresh (or a step-up login) produced this session.
    Renewed(&'a Session),
    /// The grant is gone; `cause` is the token endpoint's answer (e.g. `invalid_client`).
    Ended { cause: &'a CoreError },
}

/// The caller's side: the clock, persistence, and (optionally) a way to run a future to its end.
pub trait KeeperHooks {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> i64;
    fn changed(&self, change: Change<'_>);
    /// Runs `work` to completion in the background; `false` when the caller cannot (the refresh
    /// then runs as long as someone awaits it).
    fn spawn(&self, _work: LocalBoxFuture<'static, ()>) -> bool {
        false
    }
}

struct Inner<H> {
    http: Rc<H>,
    hooks: Box<dyn KeeperHooks>,
    current: RefCell<Session>,
    in_flight: RefCell<Option<InFlight>>,
    closed: Cell<bool>,
    renewals: Cell<u32>,
}

/// The session of one front end, shared by its requests. Cheap to clone (single thread).
pub struct TokenKeeper<H> {
    inner: Rc<Inner<H>>,
}

impl<H> Clone for TokenKeeper<H> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone() }
    }
}

impl<H: HttpClient + 'static> TokenKeeper<H> {
    pub fn new(http: Rc<H>, session: Session, hooks: impl KeeperHooks + 'static) -> Self {
        Self {
            inner: Rc::new(Inner {
                http,
                hooks: Box::new(hooks),
                current: RefCell::new(session),
                in_flight: RefCell::new(None),
                closed: Cell::new(false),
                renewals: Cell::new(0),
            }),
        }
    }

    #[must_use]
    pub fn session(&self) -> Session {
        self.inner.current.borrow().clone()
    }

    /// How many refreshes succeeded.
    #[must_use]
    pub fn renewals(&self) -> u32 {
        self.inner.renewals.get()
    }

    /// Replaces the session (after a step-up login).
    pub fn replace(&self, session: Session) {
        self.inner.current.replace(session.clone());
        self.inner.hooks.changed(Change::Renewed(&session));
    }

    /// Renews the tokens now, or waits for the refresh already under way.
    pub async fn refresh(&self) -> Result<Session, CoreError> {
        let running = self.inner.in_flight.borrow().clone();
        let pending = match running {
            Some(pending) => pending,
            None => self.start(),
        };
        pending.await
    }

    fn start(&self) -> InFlight {
        let keeper = self.clone();
        let work: LocalBoxFuture<'static, Result<Session, CoreError>> = Box::pin(async move {
            let result = keeper.rotate().await;
            keeper.inner.in_flight.replace(None);
            result
        });
        let shared = work.shared();
        self.inner.in_flight.replace(Some(shared.clone()));
        let driver = shared.clone();
        self.inner.hooks.spawn(Box::pin(async move {
            let _ = driver.await;
        }));
        shared
    }

    async fn rotate(&self) -> Result<Session, CoreError> {
        if self.inner.closed.get() {
            return Err(CoreError::CannotRefresh("You are logging out; the token was not renewed.".into()));
        }
        let session = self.session();
        match token::refresh(&*self.inner.http, &session, self.inner.hooks.now_ms()).await {
            Ok(next) => {
                self.inner.current.replace(next.clone());
                self.inner.renewals.set(self.inner.renewals.get() + 1);
                self.inner.hooks.changed(Change::Renewed(&next));
                Ok(next)
            }
            Err(e) if ends_session(&e) => {
                self.inner.current.borrow_mut().refresh_token = None;
                self.inner.hooks.changed(Change::Ended { cause: &e });
                Err(CoreError::Unauthorized)
            }
            Err(e) => Err(e),
        }
    }

    /// Renews first when the access token expires soon (or a refresh is already under way).
    pub async fn ensure_fresh(&self) -> Result<(), CoreError> {
        if self.refresh_due() {
            self.refresh().await?;
        }
        Ok(())
    }

    /// Whether the access token expires soon or a refresh is already under way.
    fn refresh_due(&self) -> bool {
        self.inner.current.borrow().needs_refresh(self.inner.hooks.now_ms()) || self.inner.in_flight.borrow().is_some()
    }

    fn access_token(&self) -> String {
        self.inner.current.borrow().access_token.clone()
    }

    /// Runs one MCP operation with a fresh token. On a 401 with a refresh token in hand it
    /// renews once (unless another request already did) and runs the operation once more.
    pub async fn with_mcp<T, F, Fut>(&self, client: &McpClient<H>, op: F) -> Result<T, CoreError>
    where
        F: Fn(McpClient<H>) -> Fut,
        Fut: Future<Output = Result<T, CoreError>>,
    {
        // One loop with one refresh and one operation await (this body is laid out in every
        // caller's future): renew when due, run; after a 401, renew unless another request
        // already did, and run once more.
        let (mut renew, mut retried) = (self.refresh_due(), false);
        loop {
            if renew {
                self.refresh().await?;
            }
            let used = self.access_token();
            client.set_token(&used);
            match op(client.clone()).await {
                Err(CoreError::Unauthorized) if !retried && self.inner.current.borrow().refresh_token.is_some() => {
                    (renew, retried) = (self.access_token() == used, true);
                }
                other => return other,
            }
        }
    }

    /// [`Self::with_mcp`], plus step-up: on 403 `insufficient_scope`, `reauthorize` is asked for
    /// a session with the union of the granted and challenged scopes and the operation runs
    /// again, at most [`scope::STEP_UP_LIMIT`] times; then the error is returned.
    pub async fn with_step_up<T, F, Fut, R, RFut>(
        &self,
        client: &McpClient<H>,
        op: F,
        mut reauthorize: R,
    ) -> Result<T, CoreError>
    where
        F: Fn(McpClient<H>) -> Fut,
        Fut: Future<Output = Result<T, CoreError>>,
        R: FnMut(ScopeSet) -> RFut,
        RFut: Future<Output = Result<Session, CoreError>>,
    {
        let mut attempts = 0;
        loop {
            match self.with_mcp(client, &op).await {
                Err(CoreError::InsufficientScope { method, scope: challenged, .. }) => {
                    let granted = self.session().scope;
                    let union = scope::step_up(&method, granted.as_deref(), &challenged, attempts)?;
                    attempts += 1;
                    let session = reauthorize(union).await?;
                    self.replace(session);
                }
                other => return other,
            }
        }
    }

    /// Logout: no refresh starts from now on; waits for one under way and returns the newest
    /// session, whose refresh token the caller then revokes.
    pub async fn close(&self) -> Session {
        self.inner.closed.set(true);
        let running = self.inner.in_flight.borrow().clone();
        if let Some(pending) = running {
            let _ = pending.await;
        }
        self.session()
    }
}

/// Whether a failed refresh means the grant is gone (not a passing network problem).
#[must_use]
pub fn ends_session(e: &CoreError) -> bool {
    match e {
        CoreError::OAuth { .. } => true,
        CoreError::Status { got, .. } => (400..500).contains(got),
        _ => false,
    }
}
