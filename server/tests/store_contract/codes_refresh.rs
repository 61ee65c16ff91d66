//! Single-use codes (claimed once, and only by their own client) and refresh rotation (one winner
//! per token, so a family never forks).

use server::store::{CodeClaim, RefreshClaim};

use super::{for_each_backend, race, secs, unique, NOW, RACERS};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_is_claimed_exactly_once_and_only_by_its_own_client() {
    for_each_backend(|env| async move {
        let other = env.add_client().await;
        let code = env.code();
        env.store.insert_code(&code).await.unwrap();

        // Another client holding the code can neither spend it nor learn it was spent.
        let foreign = race(RACERS, |_| {
            let (store, hash, other) = (env.store.clone(), code.code_hash.clone(), other.clone());
            async move { store.claim_code(&hash, &other, NOW).await.unwrap() }
        })
        .await;
        assert!(foreign.iter().all(|c| matches!(c, CodeClaim::Unknown)), "{foreign:?}");

        // Each racer claims at its own time, so the stored `used_at` names the one that wrote.
        let claims = race(RACERS, |i| {
            let (store, hash, client) = (env.store.clone(), code.code_hash.clone(), env.client.clone());
            async move { store.claim_code(&hash, &client, NOW + secs(i)).await.unwrap() }
        })
        .await;
        let won: Vec<i64> = claims
            .iter()
            .filter_map(|c| match c {
                CodeClaim::Claimed(c) => Some(c.used_at.unwrap()),
                _ => None,
            })
            .collect();
        assert_eq!(won.len(), 1, "exactly one claim wins: {claims:?}");
        let replayed: Vec<i64> = claims
            .iter()
            .filter_map(|c| match c {
                CodeClaim::Replayed(c) => Some(c.used_at.unwrap()),
                _ => None,
            })
            .collect();
        assert_eq!(replayed, vec![won[0]; RACERS - 1], "every other claim is a replay of the winner's use");

        // Spent, the code is still unknown to the other client (no replay revocation for it).
        let late = env.store.claim_code(&code.code_hash, &other, NOW + 100).await.unwrap();
        assert!(matches!(late, CodeClaim::Unknown), "{late:?}");
        let again = env.store.claim_code(&code.code_hash, &env.client, NOW + 100).await.unwrap();
        assert!(matches!(again, CodeClaim::Replayed(ref c) if c.used_at == Some(won[0])), "{again:?}");
    })
    .await;
}

/// The exchange's one write: 32 simultaneous redemptions of one code, each with its own tokens:
/// exactly one stores its pair, and nothing of the others is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_is_redeemed_once_with_its_tokens_and_nothing_else_is_written() {
    for_each_backend(|env| async move {
        let code = env.code();
        env.store.insert_code(&code).await.unwrap();
        let family = unique("fam-");
        let pairs: Vec<_> = (0..RACERS).map(|_| (env.access(&family), env.refresh(&family))).collect();
        let redeemed = race(RACERS, |i| {
            let (store, hash, client) = (env.store.clone(), code.code_hash.clone(), env.client.clone());
            let (access, refresh) = pairs[i].clone();
            async move { store.redeem_code(&hash, &client, NOW + secs(i), &access, Some(&refresh)).await.unwrap() }
        })
        .await;
        let winners: Vec<usize> = (0..RACERS).filter(|&i| redeemed[i]).collect();
        assert_eq!(winners.len(), 1, "exactly one redemption: {redeemed:?}");
        for (i, (access, refresh)) in pairs.iter().enumerate() {
            let stored = (
                env.store.find_access_token(&access.token_hash).await.unwrap().is_some(),
                env.store.find_refresh_token(&refresh.token_hash).await.unwrap().is_some(),
            );
            assert_eq!(stored, (redeemed[i], redeemed[i]), "racer {i}: its pair is stored whole or not at all");
        }
        let used = env.store.find_code(&code.code_hash, &env.client).await.unwrap().unwrap().used_at;
        assert_eq!(used, Some(NOW + secs(winners[0])), "the code records the winner's use");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_token_rotates_once_and_its_family_never_forks() {
    for_each_backend(|env| async move {
        let family = unique("fam-");
        let mut head = env.refresh(&family);
        env.store.insert_refresh_token(&head).await.unwrap();
        // Two generations: the winner's successor is raced for in turn.
        for generation in 1..=2 {
            let successors: Vec<_> = (0..RACERS).map(|_| (env.access(&family), env.refresh(&family))).collect();
            let claims = race(RACERS, |i| {
                let (store, hash, (access, next)) = (env.store.clone(), head.token_hash.clone(), successors[i].clone());
                async move { store.rotate_refresh_token(&hash, NOW + generation, &access, Some(&next)).await.unwrap() }
            })
            .await;
            let winners: Vec<usize> = (0..RACERS).filter(|i| matches!(claims[*i], RefreshClaim::Claimed(_))).collect();
            assert_eq!(winners.len(), 1, "generation {generation}: exactly one rotation wins: {claims:?}");
            let reused = claims.iter().filter(|c| matches!(c, RefreshClaim::Reused(_))).count();
            assert_eq!(reused, RACERS - 1, "generation {generation}: the others are reuse: {claims:?}");

            // Only the winner's successors were stored: one new refresh token in the family.
            let mut in_family = 0;
            for (i, (access, next)) in successors.iter().enumerate() {
                let stored = env.store.find_refresh_token(&next.token_hash).await.unwrap();
                let minted = env.store.find_access_token(&access.token_hash).await.unwrap();
                assert_eq!(stored.is_some(), i == winners[0], "generation {generation}: successor {i}");
                assert_eq!(minted.is_some(), i == winners[0], "generation {generation}: access token {i}");
                if let Some(stored) = stored {
                    assert_eq!(stored.family_id, family);
                    assert!(stored.used_at.is_none() && stored.revoked_at.is_none(), "{stored:?}");
                    in_family += 1;
                }
            }
            assert_eq!(in_family, 1, "generation {generation}: the family forked");
            let spent = env.store.find_refresh_token(&head.token_hash).await.unwrap().unwrap();
            assert_eq!(spent.used_at, Some(NOW + generation));
            head = successors[winners[0]].1.clone();
        }
    })
    .await;
}
