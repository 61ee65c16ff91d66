//! Keeping a session alive with rotating refresh tokens (RFC 6749 §6, OAuth 2.1 §4.3.1).
//!
//! [`TokenKeeper`] owns the console's session record. Before an MCP request it renews an access
//! token that is about to expire, and when the MCP server answers 401 it renews once and retries
//! the request once ([`TokenKeeper::with_mcp`]). Every refresh spends the refresh token it sends
//! (the server revokes the whole grant if a spent one comes back), so:
//!
//! - at most one refresh is in flight: later callers await the same shared future;
//! - the new record (access token, refresh token, expiry) is written to `sessionStorage` as soon
//!   as the answer arrives, and the refresh runs to the end even if every caller goes away;
//! - after logout starts ([`TokenKeeper::close`]) no refresh begins.
//!
//! An OAuth error or a 4xx from the token endpoint (`invalid_grant`: expired, revoked or reused)
//! ends the session: the record is removed and the caller gets [`ClientError::Unauthorized`],
//! which the console shows as "log in again". Network and 5xx failures are passed on unchanged.
//! An `invalid_client` answer also means the server no longer knows this client (its data was
//! reset), so the stored registration is forgotten and the next Connect registers again.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures::future::{FutureExt, Shared};
use leptos::prelude::*;
use shared::oauth::ErrorCode;

use crate::api;
use crate::api::mcp::McpClient;
use crate::browser;
use crate::error::ClientError;
use crate::storage::{self, Session};

/// Renew the access token when it has less than this left (or half its lifetime, if shorter).
const MARGIN_MS: f64 = 30_000.0;

type InFlight = Shared<Pin<Box<dyn Future<Output = Result<Session, ClientError>>>>>;

struct Inner {
    /// The newest session; the source of truth (the signal mirrors it for the page).
    current: RefCell<Session>,
    in_flight: RefCell<Option<InFlight>>,
    closed: Cell<bool>,
}

/// The session of one console, shared by its requests. Cheap to clone (single thread).
#[derive(Clone)]
pub struct TokenKeeper {
    inner: Rc<Inner>,
    shown: RwSignal<Session>,
    renewals: RwSignal<u32>,
}

impl TokenKeeper {
    #[must_use]
    pub fn new(session: Session) -> Self {
        Self {
            shown: RwSignal::new(session.clone()),
            renewals: RwSignal::new(0),
            inner: Rc::new(Inner {
                current: RefCell::new(session),
                in_flight: RefCell::new(None),
                closed: Cell::new(false),
            }),
        }
    }

    /// The session as the page should show it (updated after every refresh).
    #[must_use]
    pub fn session_signal(&self) -> Signal<Session> {
        self.shown.into()
    }

    /// How many refreshes succeeded since the console opened.
    #[must_use]
    pub fn renewals(&self) -> Signal<u32> {
        self.renewals.into()
    }

    #[must_use]
    pub fn session(&self) -> Session {
        self.inner.current.borrow().clone()
    }

    fn access_token(&self) -> String {
        self.inner.current.borrow().access_token.clone()
    }

    fn has_refresh_token(&self) -> bool {
        self.inner.current.borrow().refresh_token.is_some()
    }

    /// Renews the tokens now, or waits for the refresh already under way. Returns the new session.
    pub async fn refresh(&self) -> Result<Session, ClientError> {
        let running = self.inner.in_flight.borrow().clone();
        let pending = match running {
            Some(pending) => pending,
            None => self.start(),
        };
        pending.await
    }

    fn start(&self) -> InFlight {
        let keeper = self.clone();
        let work: Pin<Box<dyn Future<Output = Result<Session, ClientError>>>> = Box::pin(async move {
            let result = keeper.rotate().await;
            keeper.inner.in_flight.replace(None);
            result
        });
        let shared = work.shared();
        self.inner.in_flight.replace(Some(shared.clone()));
        // The old refresh token is spent once the request leaves, so the answer must be stored
        // even if the request that asked for it is dropped: drive the refresh to its end here.
        let driver = shared.clone();
        leptos::task::spawn_local(async move {
            let _ = driver.await;
        });
        shared
    }

    /// One refresh request, and what its answer means for the session.
    async fn rotate(&self) -> Result<Session, ClientError> {
        if self.inner.closed.get() {
            return Err(ClientError::message("You are logging out; the token was not renewed."));
        }
        let session = self.session();
        let Some(refresh_token) = session.refresh_token.clone() else {
            return Err(ClientError::message(
                "This session has no refresh token (the server did not issue one), so it cannot be renewed. Log in \
                 again when the access token expires.",
            ));
        };
        let answer = api::oauth::refresh(
            &session.token_endpoint,
            &session.client_id,
            &refresh_token,
            session.resource.as_deref(),
        )
        .await;
        let token = match answer {
            Ok(token) => token,
            Err(e) if ends_session(&e) => {
                leptos::logging::warn!("token refresh refused, the session is over: {e}");
                if matches!(&e, ClientError::OAuth { error, .. } if error == ErrorCode::InvalidClient.as_str()) {
                    storage::forget_client(&session.client_id);
                }
                self.inner.current.borrow_mut().refresh_token = None;
                storage::clear_session();
                return Err(ClientError::Unauthorized);
            }
            Err(e) => return Err(e),
        };
        // A server that does not rotate may omit the refresh token: the old one then stays valid.
        let next = session.with_tokens(token, browser::now_ms());
        self.inner.current.replace(next.clone());
        self.shown.set(next.clone());
        self.renewals.update(|n| *n += 1);
        storage::save_session(&next)?;
        Ok(next)
    }

    /// Renews first when the access token expires soon (or a refresh is already under way).
    pub async fn ensure_fresh(&self) -> Result<(), ClientError> {
        let due = {
            let s = self.inner.current.borrow();
            s.refresh_token.is_some() && s.expires_at - browser::now_ms() <= margin_ms(&s)
        };
        let running = self.inner.in_flight.borrow().is_some();
        if due || running {
            self.refresh().await?;
        }
        Ok(())
    }

    /// Runs one MCP operation with a fresh token. On a 401 with a refresh token in hand it renews
    /// (unless another request already did) and runs the operation once more; an operation that
    /// opens the MCP session (`initialize`) simply opens it again.
    pub async fn with_mcp<T, F, Fut>(&self, client: &McpClient, op: F) -> Result<T, ClientError>
    where
        F: Fn(McpClient) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        self.ensure_fresh().await?;
        let used = self.access_token();
        client.set_token(&used);
        match op(client.clone()).await {
            Err(ClientError::Unauthorized) if self.has_refresh_token() => {
                if self.access_token() == used {
                    self.refresh().await?;
                }
                client.set_token(&self.access_token());
                op(client.clone()).await
            }
            other => other,
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

/// How long before expiry to renew: 30 s, or half the token's lifetime when that is shorter (so
/// a short-lived token is not renewed before every single request).
fn margin_ms(session: &Session) -> f64 {
    #[allow(clippy::cast_precision_loss)] // seconds; f64 holds them exactly
    let half_life = session.expires_in.map_or(f64::INFINITY, |s| s as f64 * 500.0);
    MARGIN_MS.min(half_life)
}

/// Whether a failed refresh means the grant is gone (as opposed to a passing network problem).
fn ends_session(e: &ClientError) -> bool {
    match e {
        ClientError::OAuth { .. } => true,
        ClientError::Status { got, .. } => (400..500).contains(got),
        _ => false,
    }
}
