//! The storage contract suite: what `server::store` promises (see its module docs), checked by
//! calling the store directly, with the same body on every backend of [`Backend::all`] (SQLite,
//! and PostgreSQL when `TEST_POSTGRES_URL` is set). The promises that matter are about
//! concurrency, so most tests release [`RACERS`] simultaneous attempts through a barrier and
//! assert exact outcomes. Time is passed in (`NOW`), never slept for.

mod codes_refresh;
mod consent_sessions;
mod limits;
mod migrations;
mod refresh_grace;
mod revocation;

use std::future::Future;
use std::sync::Arc;

use server::store::{AccessToken, AuthCode, Client, NewUser, RefreshToken, SharedStore};

use crate::common::db::{self, Backend};
pub use crate::common::RACERS;

/// The clock every test starts from (seconds since the epoch).
pub const NOW: i64 = 1_700_000_000;

/// One fresh, migrated database with a user and a client in it (foreign keys need both).
#[derive(Clone)]
pub struct Env {
    pub store: SharedStore,
    pub user: String,
    pub client: String,
}

/// Runs `test` on a fresh database of each backend in turn, every backend even when one fails, so
/// the failure names all the backends that break the contract.
pub async fn for_each_backend<F, Fut>(test: F)
where
    F: Fn(Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut failed = Vec::new();
    for backend in Backend::all() {
        let dir = tempfile::tempdir().unwrap();
        let store = server::store::open(&db::fresh(backend, dir.path()).await)
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: open: {e}"));
        let mut env = Env { store: store.clone(), user: String::new(), client: String::new() };
        env.user = env.add_user().await;
        env.client = env.add_client().await;
        if tokio::spawn(test(env)).await.is_err() {
            failed.push(backend);
        }
        store.close().await;
    }
    assert!(failed.is_empty(), "the store contract fails on {failed:?} (the panic above says how)");
}

/// Runs `attempt(0..n)` from `n` tasks released together by a barrier, so they really overlap
/// (on a multi-thread runtime); returns the outcomes in index order.
pub async fn race<T, F, Fut>(n: usize, mut attempt: F) -> Vec<T>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, attempt) = (barrier.clone(), attempt(i));
            tokio::spawn(async move {
                barrier.wait().await;
                attempt.await
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(n);
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

/// `prefix` and 64 random bits: ids and hashes no other test shares.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{:016x}", rand::random::<u64>())
}

/// `i` as a time offset.
pub fn secs(i: usize) -> i64 {
    i64::try_from(i).unwrap()
}

impl Env {
    pub async fn add_user(&self) -> String {
        let username = unique("user-");
        let new = NewUser {
            username: &username,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
            display_name: "Contract Test",
            email: None,
        };
        self.store.create_user(new, NOW).await.unwrap().id
    }

    pub async fn add_client(&self) -> String {
        let client = Client {
            client_id: unique("client-"),
            client_name: Some("Contract Test".into()),
            redirect_uris: vec!["http://127.0.0.1:18080/callback".into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            response_types: vec!["code".into()],
            token_endpoint_auth_method: "none".into(),
            created_at: NOW,
            application_type: "web".into(),
            ..Client::default()
        };
        self.store.insert_client(&client).await.unwrap();
        client.client_id
    }

    /// An unstored, unused authorization code of this env's user and client.
    pub fn code(&self) -> AuthCode {
        AuthCode {
            code_hash: unique("code-"),
            client_id: self.client.clone(),
            user_id: self.user.clone(),
            redirect_uri: "http://127.0.0.1:18080/callback".into(),
            scope: "user".into(),
            code_challenge: "challenge".into(),
            resource: "http://127.0.0.1/mcp".into(),
            created_at: NOW,
            expires_at: NOW + 60,
            used_at: None,
        }
    }

    /// An unstored access token of this env's user and client in grant `family`.
    pub fn access(&self, family: &str) -> AccessToken {
        AccessToken {
            token_hash: unique("at-"),
            client_id: self.client.clone(),
            user_id: self.user.clone(),
            scope: "user".into(),
            audience: "http://127.0.0.1/mcp".into(),
            code_hash: None,
            issued_at: NOW,
            expires_at: NOW + 900,
            revoked_at: None,
            family_id: Some(family.into()),
            jti: Some(unique("jti-")),
        }
    }

    /// An unstored refresh token of this env's user and client in `family`.
    pub fn refresh(&self, family: &str) -> RefreshToken {
        RefreshToken {
            token_hash: unique("rt-"),
            family_id: family.into(),
            client_id: self.client.clone(),
            user_id: self.user.clone(),
            scope: "user".into(),
            resource: "http://127.0.0.1/mcp".into(),
            issued_at: NOW,
            expires_at: NOW + 86_400,
            used_at: None,
            revoked_at: None,
            replaced_by: None,
        }
    }

    /// The same env seen as another user or client (for their tokens).
    pub fn with(&self, user: &str, client: &str) -> Env {
        Env { user: user.into(), client: client.into(), ..self.clone() }
    }
}
