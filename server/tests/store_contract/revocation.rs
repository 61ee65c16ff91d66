//! Revocation: each revocation happens once and writes exactly one log row per thing it ends,
//! in the transaction that marks the tokens; and a revocation of any kind racing refresh
//! rotations leaves no live token of the grant behind.

use std::collections::BTreeSet;

use server::store::{RefreshClaim, Revocation, RevokedKind};

use super::{for_each_backend, race, secs, unique, Env, NOW, RACERS};

/// The whole revocation log.
async fn log(env: &Env) -> Vec<Revocation> {
    env.store.revocations_after(0, 10_000).await.unwrap()
}

/// Asserts every named access token is stored and revoked (or, with `live`, still active).
async fn assert_access(env: &Env, hashes: &[String], live: bool) {
    for hash in hashes {
        let token = env.store.find_access_token(hash).await.unwrap().expect("stored");
        assert_eq!(token.is_active(NOW + 2), live, "{token:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_access_token_is_revoked_once_and_logged_once() {
    for_each_backend(|env| async move {
        let token = env.access(&unique("fam-"));
        env.store.insert_access_token(&token).await.unwrap();
        let other = env.add_client().await;
        assert!(!env.store.revoke_access_token(&token.token_hash, &other, NOW).await.unwrap(), "not its client's");
        assert!(log(&env).await.is_empty());

        let answers = race(RACERS, |i| {
            let (store, hash, client) = (env.store.clone(), token.token_hash.clone(), env.client.clone());
            async move { store.revoke_access_token(&hash, &client, NOW + secs(i)).await.unwrap() }
        })
        .await;
        assert_eq!(answers.iter().filter(|a| **a).count(), 1, "exactly one revocation: {answers:?}");
        let revoked_at = env.store.find_access_token(&token.token_hash).await.unwrap().unwrap().revoked_at.unwrap();
        let rows = log(&env).await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!((rows[0].kind, rows[0].value.as_str()), (RevokedKind::Token, token.jti.as_deref().unwrap()));
        assert_eq!(rows[0].revoked_at, revoked_at, "the log row and the token were written together");

        // Many tokens revoked at once: one row each, ids increasing.
        let tokens: Vec<_> = (0..RACERS).map(|_| env.access(&unique("fam-"))).collect();
        for t in &tokens {
            env.store.insert_access_token(t).await.unwrap();
        }
        let answers = race(RACERS, |i| {
            let (store, hash, client) = (env.store.clone(), tokens[i].token_hash.clone(), env.client.clone());
            async move { store.revoke_access_token(&hash, &client, NOW).await.unwrap() }
        })
        .await;
        assert!(answers.iter().all(|a| *a), "{answers:?}");
        let rows = log(&env).await;
        assert!(rows.windows(2).all(|w| w[0].id < w[1].id), "{rows:?}");
        let logged: BTreeSet<&str> = rows[1..].iter().map(|r| r.value.as_str()).collect();
        let jtis: BTreeSet<&str> = tokens.iter().map(|t| t.jti.as_deref().unwrap()).collect();
        assert_eq!((rows.len(), logged), (RACERS + 1, jtis));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_grant_is_revoked_once_and_each_of_its_families_logged_once() {
    for_each_backend(|env| async move {
        env.store.save_grant(&env.user, &env.client, "user", NOW).await.unwrap();
        let (families, tokens) = families_with_tokens(&env, 3).await;
        // The same user's other client, and another user of this client, are not touched.
        let (another_user, another_client) = (env.add_user().await, env.add_client().await);
        let (_, bystanders) = families_with_tokens(&env.with(&env.user, &another_client), 1).await;
        let (_, others) = families_with_tokens(&env.with(&another_user, &env.client), 1).await;

        let answers = race(RACERS, |_| {
            let (store, user, client) = (env.store.clone(), env.user.clone(), env.client.clone());
            async move { store.revoke_grant(&user, &client, NOW + 1).await.unwrap() }
        })
        .await;
        assert_eq!(answers.iter().filter(|a| **a).count(), 1, "exactly one revocation: {answers:?}");
        let rows = log(&env).await;
        assert!(rows.iter().all(|r| r.kind == RevokedKind::Grant), "{rows:?}");
        let logged: Vec<&str> = rows.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(logged.iter().copied().collect::<BTreeSet<_>>(), families.iter().map(String::as_str).collect());
        assert_eq!(logged.len(), families.len(), "each family logged once: {rows:?}");
        for family in &families {
            assert!(env.store.grant_revoked(family).await.unwrap(), "{family}");
        }
        assert_access(&env, &tokens, false).await;
        assert_access(&env, &[bystanders, others].concat(), true).await;
        assert_eq!(env.store.find_grant_scope(&env.user, &env.client).await.unwrap(), None);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ending_a_users_sessions_counts_and_logs_each_grant_once() {
    for_each_backend(|env| async move {
        let second_client = env.add_client().await;
        let (mut families, mut tokens) = families_with_tokens(&env, 2).await;
        let (more, more_tokens) = families_with_tokens(&env.with(&env.user, &second_client), 2).await;
        families.extend(more);
        tokens.extend(more_tokens);
        let another_user = env.add_user().await;
        let (_, others) = families_with_tokens(&env.with(&another_user, &env.client), 1).await;
        env.store.create_login_session("session-hash", &env.user, NOW, 3600).await.unwrap();

        let counts = race(RACERS, |_| {
            let (store, user) = (env.store.clone(), env.user.clone());
            async move { store.revoke_user_sessions(&user, NOW + 1).await.unwrap() }
        })
        .await;
        assert_eq!(counts.iter().sum::<u64>(), 4, "each grant counted by one of them: {counts:?}");
        let logged: Vec<String> = log(&env).await.into_iter().map(|r| r.value).collect();
        assert_eq!(logged.len(), families.len(), "each grant logged once: {logged:?}");
        assert_eq!(logged.into_iter().collect::<BTreeSet<_>>(), families.into_iter().collect());
        assert_access(&env, &tokens, false).await;
        assert_access(&env, &others, true).await;
        assert!(env.store.login_session_user("session-hash", NOW + 1).await.unwrap().is_none());
    })
    .await;
}

/// `n` grants of `env`'s user and client, each with a refresh and an access token; returns the
/// family ids and the access tokens' hashes.
async fn families_with_tokens(env: &Env, n: usize) -> (Vec<String>, Vec<String>) {
    let (mut families, mut hashes) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let family = unique("fam-");
        let access = env.access(&family);
        env.store.insert_access_token(&access).await.unwrap();
        env.store.insert_refresh_token(&env.refresh(&family)).await.unwrap();
        families.push(family);
        hashes.push(access.token_hash);
    }
    (families, hashes)
}

/// The ways a grant ends, each raced against rotations below.
#[derive(Clone, Copy, Debug)]
enum Revoke {
    Family,
    Grant,
    UserSessions,
}

/// Rotations racing a revocation: 16 rotations of one refresh token and the revocation, released
/// together, then nothing of the family may be live: not the token, not a successor.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_racing_rotations_leaves_nothing_live() {
    const ROTATIONS: usize = 16;
    for_each_backend(|env| async move {
        for (round, how) in
            [Revoke::Family, Revoke::Grant, Revoke::UserSessions].into_iter().cycle().take(6).enumerate()
        {
            let family = unique("fam-");
            let first = env.refresh(&family);
            env.store.insert_refresh_token(&first).await.unwrap();
            let issued = env.access(&family);
            env.store.insert_access_token(&issued).await.unwrap();
            let successors: Vec<_> = (0..ROTATIONS).map(|_| (env.access(&family), env.refresh(&family))).collect();
            let claims = race(ROTATIONS + 1, |i| {
                let (env, hash, family) = (env.clone(), first.token_hash.clone(), family.clone());
                let successor = successors.get(i).cloned();
                async move {
                    let Some((access, next)) = successor else {
                        match how {
                            Revoke::Family => env.store.revoke_family(&family, NOW + 1).await.unwrap(),
                            Revoke::Grant => {
                                env.store.revoke_grant(&env.user, &env.client, NOW + 1).await.unwrap();
                            }
                            Revoke::UserSessions => {
                                env.store.revoke_user_sessions(&env.user, NOW + 1).await.unwrap();
                            }
                        }
                        return None;
                    };
                    Some(env.store.rotate_refresh_token(&hash, NOW + 1, &access, Some(&next)).await.unwrap())
                }
            })
            .await;
            let claims: Vec<_> = claims.into_iter().flatten().collect();
            let won = claims.iter().filter(|c| matches!(c, RefreshClaim::Claimed(_))).count();
            assert!(won <= 1, "round {round} ({how:?}): {claims:?}");
            assert!(
                claims
                    .iter()
                    .all(|c| matches!(c, RefreshClaim::Claimed(_) | RefreshClaim::Reused(_) | RefreshClaim::Revoked)),
                "{claims:?}"
            );
            assert!(env.store.grant_revoked(&family).await.unwrap(), "round {round} ({how:?}): grant not logged");
            let refresh = std::iter::once(&first).chain(successors.iter().map(|(_, r)| r));
            for r in refresh {
                if let Some(stored) = env.store.find_refresh_token(&r.token_hash).await.unwrap() {
                    assert!(stored.revoked_at.is_some(), "round {round} ({how:?}): a live refresh token: {stored:?}");
                }
            }
            let access = std::iter::once(&issued).chain(successors.iter().map(|(a, _)| a));
            for a in access {
                if let Some(stored) = env.store.find_access_token(&a.token_hash).await.unwrap() {
                    assert!(!stored.is_active(NOW + 2), "round {round} ({how:?}): a live access token: {stored:?}");
                }
            }
        }
    })
    .await;
}
