//! Consent (a pending request is decided once; remembered consent is one row, written whole) and
//! MCP sessions (one owner, kept across saves, gone once expired).

use server::store::AuthRequest;

use super::{for_each_backend, race, secs, unique, NOW, RACERS};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pending_request_is_taken_exactly_once() {
    for_each_backend(|env| async move {
        let request = AuthRequest {
            id: unique("req-"),
            csrf_hash: unique("csrf-"),
            client_id: env.client.clone(),
            redirect_uri: "http://127.0.0.1:18080/callback".into(),
            scope: "user".into(),
            state: Some("st4te".into()),
            code_challenge: "challenge".into(),
            resource: "http://127.0.0.1/mcp".into(),
            user_id: Some(env.user.clone()),
            failed_logins: 0,
            created_at: NOW,
            expires_at: NOW + 600,
        };
        env.store.insert_auth_request(&request).await.unwrap();
        let taken = race(RACERS, |_| {
            let (store, id) = (env.store.clone(), request.id.clone());
            async move { store.take_auth_request(&id, NOW).await.unwrap() }
        })
        .await;
        let taken: Vec<_> = taken.into_iter().flatten().collect();
        assert_eq!(taken.len(), 1, "exactly one decision: {taken:?}");
        assert_eq!((taken[0].id.as_str(), taken[0].user_id.as_deref()), (request.id.as_str(), Some(env.user.as_str())));
        assert!(env.store.find_auth_request(&request.id, NOW).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_consents_leave_one_whole_grant() {
    for_each_backend(|env| async move {
        // Racer i writes scope `user s<i>` at NOW + i: the row must be one racer's, both fields.
        race(RACERS, |i| {
            let (store, user, client) = (env.store.clone(), env.user.clone(), env.client.clone());
            async move { store.save_grant(&user, &client, &format!("user s{i}"), NOW + secs(i)).await.unwrap() }
        })
        .await;
        let grants = env.store.list_grants(&env.user).await.unwrap();
        assert_eq!(grants.len(), 1, "one row per (user, client): {grants:?}");
        let writer = (0..RACERS).find(|i| grants[0].scope == format!("user s{i}"));
        let writer = writer.unwrap_or_else(|| panic!("a scope no racer wrote: {grants:?}"));
        assert_eq!(grants[0].updated_at, NOW + secs(writer), "scope and time from different writers: {grants:?}");
        let scope = env.store.find_grant_scope(&env.user, &env.client).await.unwrap();
        assert_eq!(scope.as_deref(), Some(grants[0].scope.as_str()));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_mcp_session_has_one_owner() {
    for_each_backend(|env| async move {
        let mut users = Vec::with_capacity(RACERS);
        for _ in 0..RACERS {
            users.push(env.add_user().await);
        }
        // A new session, and one whose state rmcp saved before the guard claimed it.
        let fresh = unique("session-");
        let saved = unique("session-");
        env.store.save_mcp_session_state(&saved, r#"{"saved":0}"#, NOW).await.unwrap();
        for session in [fresh, saved] {
            let claims = race(RACERS, |i| {
                let (store, session, user) = (env.store.clone(), session.clone(), users[i].clone());
                async move { store.claim_mcp_session(&session, &user, NOW).await.unwrap() }
            })
            .await;
            let owners: Vec<usize> = (0..RACERS).filter(|i| claims[*i]).collect();
            assert_eq!(owners.len(), 1, "{session}: exactly one owner: {claims:?}");
            let (owner, loser) = (&users[owners[0]], &users[(owners[0] + 1) % RACERS]);
            assert!(env.store.claim_mcp_session(&session, owner, NOW + 1).await.unwrap(), "the owner again");
            assert!(!env.store.claim_mcp_session(&session, loser, NOW + 1).await.unwrap(), "another user again");

            env.store.save_mcp_session_state(&session, r#"{"saved":1}"#, NOW + 2).await.unwrap();
            let found = env.store.find_mcp_session(&session, NOW + 2).await.unwrap().expect("live");
            assert_eq!(found.user_id.as_deref(), Some(owner.as_str()), "saving keeps the owner");
            assert_eq!(found.state.as_deref(), Some(r#"{"saved":1}"#));
            let expires = found.expires_at;
            assert!(env.store.find_mcp_session(&session, expires - 1).await.unwrap().is_some());
            assert_eq!(env.store.find_mcp_session(&session, expires).await.unwrap(), None, "expired");
        }
    })
    .await;
}
