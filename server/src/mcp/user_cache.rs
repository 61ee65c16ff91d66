//! The user records the MCP tools read, kept for at most [`TTL`], so that a busy client does not
//! cost one SQLite round trip (a hand-off to sqlx's worker thread and back) per tool call.
//!
//! Only what the tools *show* is cached; who may call is decided by the bearer guard (token,
//! denylist), never from here, so a disabled user's tokens are refused as promptly as before. A
//! change this process makes through the tools ([`UserCache::forget`]) is seen at once; one made
//! elsewhere (a sign-in, `server user ...`) within [`TTL`]. Bounded: LRU over [`MAX_ENTRIES`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hashlink::LruCache;

use crate::store::User;

/// How long a record is served without rereading it.
pub const TTL: Duration = Duration::from_secs(1);
/// Users remembered at most.
pub const MAX_ENTRIES: usize = 10_000;

pub struct UserCache {
    ttl: Duration,
    entries: Mutex<LruCache<String, (Instant, Arc<User>)>>,
}

impl Default for UserCache {
    fn default() -> Self {
        Self::new(TTL, MAX_ENTRIES)
    }
}

impl UserCache {
    /// `ttl` zero caches nothing.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { ttl, entries: Mutex::new(LruCache::new(capacity.max(1))) }
    }

    /// The record of `user_id` read less than the TTL before `now`.
    pub fn get(&self, user_id: &str, now: Instant) -> Option<Arc<User>> {
        let mut entries = self.lock();
        match entries.get(user_id) {
            Some((read_at, user)) if now.saturating_duration_since(*read_at) < self.ttl => Some(user.clone()),
            Some(_) => {
                entries.remove(user_id);
                None
            }
            None => None,
        }
    }

    /// Remembers `user` as read at `read_at` (taken before the read, so the TTL is never stretched).
    pub fn put(&self, user: Arc<User>, read_at: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        self.lock().insert(user.id.clone(), (read_at, user));
    }

    /// Forgets `user_id` after a change to it.
    pub fn forget(&self, user_id: &str) {
        self.lock().remove(user_id);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, (Instant, Arc<User>)>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> Arc<User> {
        Arc::new(User {
            id: id.into(),
            username: id.into(),
            password_hash: String::new(),
            display_name: id.into(),
            email: None,
            role: "user".into(),
            status: "active".into(),
            created_at: 0,
            last_login_at: None,
            login_count: 0,
        })
    }

    #[test]
    fn records_live_for_the_ttl_and_can_be_forgotten() {
        let cache = UserCache::new(Duration::from_millis(500), 10);
        let t0 = Instant::now();
        cache.put(user("u1"), t0);
        assert!(cache.get("u1", t0 + Duration::from_millis(499)).is_some());
        assert!(cache.get("u1", t0 + Duration::from_millis(500)).is_none(), "TTL over");
        cache.put(user("u1"), t0);
        cache.forget("u1");
        assert!(cache.get("u1", t0).is_none());
    }

    #[test]
    fn stays_bounded_and_zero_ttl_caches_nothing() {
        let cache = UserCache::new(TTL, 2);
        let t0 = Instant::now();
        for id in ["a", "b", "c"] {
            cache.put(user(id), t0);
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.get("a", t0).is_none());
        let off = UserCache::new(Duration::ZERO, 2);
        off.put(user("a"), t0);
        assert!(off.is_empty());
    }
}
