//! Counters that replicas share: the sign-in throttle's reservation and the fixed-window request
//! counter, each decided in one statement, so simultaneous requests are counted exactly.

use server::store::{Reservation, ThrottlePolicy};

use super::{for_each_backend, race, secs, unique, NOW, RACERS};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_attempts_reserve_exactly_the_free_ones() {
    for_each_backend(|env| async move {
        let policy = ThrottlePolicy { free: 5, base: 30, cap: 900 };
        let key = unique("user:");
        let answers = race(RACERS, |_| {
            let (store, key) = (env.store.clone(), key.clone());
            async move { store.throttle_reserve(&key, NOW, policy).await.unwrap() }
        })
        .await;
        let mut allowed: Vec<i64> = answers
            .iter()
            .filter_map(|r| match r {
                Reservation::Allowed(n) => Some(*n),
                Reservation::Locked(_) => None,
            })
            .collect();
        allowed.sort_unstable();
        assert_eq!(allowed, (1..=5).collect::<Vec<_>>(), "attempts 1..=5, each once: {answers:?}");
        // The fifth locks the key for `base` seconds; the 27 others were refused, not counted.
        let locked = answers.iter().filter(|r| **r == Reservation::Locked(30)).count();
        assert_eq!(locked, RACERS - 5, "{answers:?}");
        assert_eq!(env.store.throttle_wait(&key, NOW).await.unwrap(), 30);
        assert_eq!(env.store.throttle_reserve(&key, NOW + 30, policy).await.unwrap(), Reservation::Allowed(6));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_request_counter_counts_each_request_once_per_window() {
    for_each_backend(|env| async move {
        let (key, window) = (unique("register:"), 60);
        for start in [NOW, NOW + window] {
            let counts = race(RACERS, |_| {
                let (store, key) = (env.store.clone(), key.clone());
                async move { store.count_request(&key, start, window).await.unwrap() }
            })
            .await;
            assert!(counts.iter().all(|(_, s)| *s == start), "window start {start}: {counts:?}");
            let mut hits: Vec<i64> = counts.iter().map(|(hits, _)| *hits).collect();
            hits.sort_unstable();
            assert_eq!(hits, (1..=secs(RACERS)).collect::<Vec<_>>(), "window {start}: each request counted once");
            // The last second of the window still counts in it.
            let last = env.store.count_request(&key, start + window - 1, window).await.unwrap();
            assert_eq!(last, (secs(RACERS) + 1, start));
        }
    })
    .await;
}
