//! Keeping the console's session alive: `client_core::TokenKeeper` renews the access token
//! before it expires, or once after a 401 (single flight: one refresh in flight, every caller
//! awaits it), and ends the session when the token endpoint refuses. This wrapper is the
//! browser's side of it: every new session goes to `sessionStorage` and to the page's signals
//! as soon as it arrives, a refresh runs to its end on `spawn_local` even if every caller goes
//! away, and an ended session is removed (its registration too, on `invalid_client`).

use client_core::keeper::{Change, KeeperHooks};
use std::future::Future;

use futures::future::LocalBoxFuture;
use leptos::prelude::*;

use crate::browser;
use crate::error::ClientError;
use crate::flow::Step;
use crate::http::{Fetch, McpClient};
use crate::storage::{self, Session};

/// One MCP operation for [`TokenKeeper::with_mcp`], run with the client it is given.
pub type McpOp<'a, T> = dyn Fn(McpClient) -> LocalBoxFuture<'a, Result<T, ClientError>> + 'a;

struct Hooks {
    shown: RwSignal<Session>,
    renewals: RwSignal<u32>,
    timeline: Vec<Step>,
}

impl KeeperHooks for Hooks {
    fn now_ms(&self) -> i64 {
        browser::now_ms()
    }

    fn changed(&self, change: Change<'_>) {
        match change {
            Change::Renewed(tokens) => {
                let next = Session::new(tokens.clone(), self.timeline.clone());
                if let Err(e) = storage::save_session(&next) {
                    leptos::logging::warn!("the renewed session could not be stored: {e}");
                }
                self.shown.set(next);
                self.renewals.update(|n| *n += 1);
            }
            Change::Ended { cause } => {
                leptos::logging::warn!("token refresh refused, the session is over: {cause}");
                if cause.is_invalid_client() {
                    storage::forget_client(&self.shown.get_untracked().client_id);
                }
                storage::clear_session();
            }
        }
    }

    fn spawn(&self, work: LocalBoxFuture<'static, ()>) -> bool {
        leptos::task::spawn_local(work);
        true
    }
}

/// The session of one console, shared by its requests. Cheap to clone (single thread).
#[derive(Clone)]
pub struct TokenKeeper {
    core: client_core::TokenKeeper<Fetch>,
    shown: RwSignal<Session>,
    renewals: RwSignal<u32>,
}

impl TokenKeeper {
    #[must_use]
    pub fn new(session: Session) -> Self {
        let (shown, renewals) = (RwSignal::new(session.clone()), RwSignal::new(0));
        let hooks = Hooks { shown, renewals, timeline: session.timeline.clone() };
        let core = client_core::TokenKeeper::new(std::rc::Rc::new(Fetch), session.tokens, hooks);
        Self { core, shown, renewals }
    }

    /// The session as the page should show it (updated after every refresh).
    #[must_use]
    pub fn session_signal(&self) -> ReadSignal<Session> {
        self.shown.read_only()
    }

    /// How many refreshes succeeded since the console opened.
    #[must_use]
    pub fn renewals(&self) -> ReadSignal<u32> {
        self.renewals.read_only()
    }

    #[must_use]
    pub fn session(&self) -> Session {
        Session::new(self.core.session(), self.shown.get_untracked().timeline)
    }

    /// Renews the tokens now, or waits for the refresh already under way.
    pub async fn refresh(&self) -> Result<Session, ClientError> {
        self.core.refresh().await?;
        Ok(self.session())
    }

    /// Runs one MCP operation with a fresh token (renewing once after a 401). The operation is
    /// a `dyn` closure returning a boxed future: the core awaits it at two places (first try,
    /// retry), so a concrete future type was compiled into every caller twice. Returns the
    /// core's future itself: an `async fn` around it was one more state machine per result type.
    pub fn with_mcp<'a, T>(
        &'a self,
        client: &'a McpClient,
        op: &'a McpOp<'a, T>,
    ) -> impl Future<Output = Result<T, ClientError>> + 'a {
        self.core.with_mcp(client, op)
    }

    /// Logout: no refresh starts from now on; returns the newest session, whose refresh token
    /// the caller then revokes.
    pub async fn close(&self) -> Session {
        Session::new(self.core.close().await, self.shown.get_untracked().timeline)
    }
}
