//! Retries within the refresh grace period (`RefreshStore::retry_rotation`): a retry replaces
//! the unused successor pair of a just-rotated token, every other reuse is refused unwritten, and
//! however many retries race, a family ends with exactly one live refresh token.

use server::store::{AccessToken, RefreshClaim, RefreshToken, RevokedKind};

use super::{for_each_backend, race, unique, Env, NOW, RACERS};

/// The grace the tests use: a retry at `NOW + 1` of a token rotated at `NOW` is in time.
const SINCE: i64 = NOW - 10;

/// `head` rotated at `NOW` to a stored successor pair, which is returned.
async fn rotate(env: &Env, head: &RefreshToken) -> (AccessToken, RefreshToken) {
    let (access, next) = (env.access(&head.family_id), env.refresh(&head.family_id));
    let claim = env.store.rotate_refresh_token(&head.token_hash, NOW, &access, Some(&next)).await.unwrap();
    assert!(matches!(claim, RefreshClaim::Claimed(ref t) if t.replaced_by.as_deref() == Some(&*next.token_hash)));
    (access, next)
}

async fn live_refresh(env: &Env, t: &RefreshToken) -> bool {
    let stored = env.store.find_refresh_token(&t.token_hash).await.unwrap();
    stored.is_some_and(|s| s.used_at.is_none() && s.revoked_at.is_none())
}

async fn live_access(env: &Env, t: &AccessToken) -> bool {
    let stored = env.store.find_access_token(&t.token_hash).await.unwrap();
    stored.is_some_and(|s| s.is_active(NOW + 2))
}

async fn stored(env: &Env, t: &RefreshToken) -> bool {
    env.store.find_refresh_token(&t.token_hash).await.unwrap().is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_replaces_the_unused_successor_pair_and_nothing_else_is_written() {
    for_each_backend(|env| async move {
        let family = unique("fam-");
        let head = env.refresh(&family);
        env.store.insert_refresh_token(&head).await.unwrap();
        let (lost_access, lost) = rotate(&env, &head).await;

        let (access, next) = (env.access(&family), env.refresh(&family));
        let claim =
            env.store.retry_rotation(&head.token_hash, &lost.token_hash, SINCE, NOW + 1, &access, &next).await.unwrap();
        assert!(matches!(claim, RefreshClaim::Claimed(_)), "{claim:?}");
        assert!(!live_refresh(&env, &lost).await, "the unseen successor is revoked");
        assert!(!live_access(&env, &lost_access).await, "and the access token issued beside it");
        let jti = lost_access.jti.clone().unwrap();
        let log = env.store.revocations_after(0, 100).await.unwrap();
        assert!(log.iter().any(|r| r.kind == RevokedKind::Token && r.value == jti), "named to the RSs: {log:?}");
        assert!(!env.store.grant_revoked(&family).await.unwrap(), "the grant lives on");
        assert!(live_refresh(&env, &next).await && live_access(&env, &access).await);
        let spent = env.store.find_refresh_token(&head.token_hash).await.unwrap().unwrap();
        assert_eq!(spent.replaced_by.as_deref(), Some(&*next.token_hash));
        assert_eq!(spent.used_at, Some(NOW), "the grace still counts from the first rotation");

        // A retry naming the successor it replaced is stale: refused, nothing written.
        let (a, n) = (env.access(&family), env.refresh(&family));
        let stale = env.store.retry_rotation(&head.token_hash, &lost.token_hash, SINCE, NOW + 1, &a, &n).await.unwrap();
        assert!(matches!(stale, RefreshClaim::Superseded), "{stale:?}");
        assert!(!stored(&env, &n).await && live_refresh(&env, &next).await);

        // Too late (rotated at `NOW`, not after `since`): reuse, nothing written.
        let late = env.store.retry_rotation(&head.token_hash, &next.token_hash, NOW, NOW + 10, &a, &n).await.unwrap();
        assert!(matches!(late, RefreshClaim::Reused(_)), "{late:?}");
        assert!(!stored(&env, &n).await && live_refresh(&env, &next).await);

        // Once the successor has been used: reuse, nothing written.
        let (_, after) = rotate(&env, &next).await;
        let used = env.store.retry_rotation(&head.token_hash, &next.token_hash, SINCE, NOW + 1, &a, &n).await.unwrap();
        assert!(matches!(used, RefreshClaim::Reused(_)), "{used:?}");
        assert!(!stored(&env, &n).await && live_refresh(&env, &after).await);

        // A revoked family: revoked.
        env.store.revoke_family(&family, NOW + 1).await.unwrap();
        let gone = env.store.retry_rotation(&next.token_hash, &after.token_hash, SINCE, NOW + 1, &a, &n).await.unwrap();
        assert!(matches!(gone, RefreshClaim::Revoked), "{gone:?}");
        assert!(!stored(&env, &n).await);
    })
    .await;
}

/// What the token endpoint does with one presentation: rotate, and on reuse within the grace,
/// retry against the successor the refusal named.
async fn present(env: &Env, token: &str, access: &AccessToken, next: &RefreshToken) -> RefreshClaim {
    let claim = env.store.rotate_refresh_token(token, NOW + 1, access, Some(next)).await.unwrap();
    let RefreshClaim::Reused(t) = &claim else { return claim };
    let successor = t.replaced_by.clone().expect("a rotated token names its successor");
    env.store.retry_rotation(token, &successor, SINCE, NOW + 1, access, next).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_presentations_and_retries_leave_exactly_one_live_successor() {
    for_each_backend(|env| async move {
        let family = unique("fam-");
        let head = env.refresh(&family);
        env.store.insert_refresh_token(&head).await.unwrap();
        // Round 1: the token is fresh (first use and retries mixed); round 2: all retries of the
        // one successor the head then names, so exactly one of them may replace it.
        for round in 1..=2 {
            let candidates: Vec<_> = (0..RACERS).map(|_| (env.access(&family), env.refresh(&family))).collect();
            let before = env.store.find_refresh_token(&head.token_hash).await.unwrap().unwrap().replaced_by;
            let claims = race(RACERS, |i| {
                let (env, hash, (access, next)) = (env.clone(), head.token_hash.clone(), candidates[i].clone());
                let before = before.clone();
                async move {
                    match before {
                        None => present(&env, &hash, &access, &next).await,
                        Some(s) => env.store.retry_rotation(&hash, &s, SINCE, NOW + 1, &access, &next).await.unwrap(),
                    }
                }
            })
            .await;
            let won = claims.iter().filter(|c| matches!(c, RefreshClaim::Claimed(_))).count();
            assert!(
                claims.iter().all(|c| matches!(c, RefreshClaim::Claimed(_) | RefreshClaim::Superseded)),
                "round {round}: {claims:?}"
            );
            if round == 2 {
                assert_eq!(won, 1, "round 2: exactly one retry of one successor wins: {claims:?}");
            } else {
                assert!(won >= 1, "round 1: {claims:?}");
            }
            let mut live = Vec::new();
            for (i, (access, next)) in candidates.iter().enumerate() {
                assert_eq!(live_refresh(&env, next).await, live_access(&env, access).await, "round {round}: pair {i}");
                if live_refresh(&env, next).await {
                    live.push(next.token_hash.clone());
                }
            }
            assert_eq!(live.len(), 1, "round {round}: the family forked or died: {live:?}");
            let spent = env.store.find_refresh_token(&head.token_hash).await.unwrap().unwrap();
            assert_eq!(spent.replaced_by.as_ref(), Some(&live[0]), "round {round}: the head names the live one");
            assert!(!env.store.grant_revoked(&family).await.unwrap());
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_racing_retries_leaves_nothing_live() {
    for_each_backend(|env| async move {
        for round in 0..4 {
            let family = unique("fam-");
            let head = env.refresh(&family);
            env.store.insert_refresh_token(&head).await.unwrap();
            let (lost_access, lost) = rotate(&env, &head).await;
            let candidates: Vec<_> = (0..RACERS).map(|_| (env.access(&family), env.refresh(&family))).collect();
            race(RACERS + 1, |i| {
                let (env, hash, lost, family) =
                    (env.clone(), head.token_hash.clone(), lost.token_hash.clone(), family.clone());
                let candidate = candidates.get(i).cloned();
                async move {
                    let Some((access, next)) = candidate else {
                        return env.store.revoke_family(&family, NOW + 1).await.unwrap();
                    };
                    env.store.retry_rotation(&hash, &lost, SINCE, NOW + 1, &access, &next).await.unwrap();
                }
            })
            .await;
            for (access, next) in std::iter::once(&(lost_access, lost)).chain(&candidates) {
                assert!(!live_refresh(&env, next).await, "round {round}: a live refresh token");
                assert!(!live_access(&env, access).await, "round {round}: a live access token");
            }
        }
    })
    .await;
}
