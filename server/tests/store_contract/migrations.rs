//! Replicas starting together on one new database: every one of them opens it (migrating it
//! once), and they then see each other's writes.

use server::store::NewUser;

use super::{race, NOW};
use crate::common::db::{self, Backend};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_opening_a_new_database_together_all_succeed() {
    for backend in Backend::all() {
        // A few rounds: the window in which two migrations overlap is narrow.
        for round in 0..4 {
            let dir = tempfile::tempdir().unwrap();
            let url = db::fresh(backend, dir.path()).await;
            let opened = race(2, |_| {
                let url = url.clone();
                async move { server::store::open(&url).await }
            })
            .await;
            let stores: Vec<_> = opened
                .into_iter()
                .map(|o| o.unwrap_or_else(|e| panic!("{backend:?}, round {round}: a replica failed to open: {e}")))
                .collect();
            let new = NewUser { username: "alice", password_hash: "x".into(), display_name: "Alice", email: None };
            let alice = stores[0].create_user(new, NOW).await.unwrap();
            let seen = stores[1].find_user_by_username("alice").await.unwrap();
            assert_eq!(seen.map(|u| u.id), Some(alice.id), "{backend:?}: one database");
            // A later start finds it migrated.
            let later = server::store::open(&url).await.unwrap();
            assert!(later.find_user_by_username("alice").await.unwrap().is_some());
            for store in stores.iter().chain([&later]) {
                store.close().await;
            }
        }
    }
}
