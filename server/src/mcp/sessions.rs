//! Binds each MCP session to the user who opened it (MCP security best practices: session ids
//! are not credentials). A request naming another user's session is answered as if the session
//! did not exist, so it can neither be used, ended, nor probed.
//!
//! The map holds at most [`MAX_SESSIONS`] entries in LRU order (O(1) per request). rmcp ends idle
//! sessions by itself without telling us, so stale entries are common; when the map is full the
//! least recently used one goes, and [`SessionOwners::record`] hands its id back so the caller
//! closes that session in rmcp too: a session must never outlive its owner's entry, or it would
//! become "unknown" here and usable by anyone who learnt its id.

use std::sync::Mutex;

use hashlink::LruCache;
use prometheus_client::metrics::gauge::Gauge;

/// Sessions tracked at most.
pub const MAX_SESSIONS: usize = 10_000;

pub struct SessionOwners {
    /// Session id → owning user id.
    owners: Mutex<LruCache<String, String>>,
    /// Follows the number of entries (the `mcp_sessions_active` metric); shared by every map.
    active: Gauge,
}

impl Default for SessionOwners {
    fn default() -> Self {
        Self::with_capacity(MAX_SESSIONS)
    }
}

/// What the guard should do with a request that names a session.
#[derive(Debug, PartialEq, Eq)]
pub enum Ownership {
    /// Not known here (new, expired or never issued): rmcp answers for it.
    Unknown,
    Owner,
    Stranger,
}

impl SessionOwners {
    pub fn with_capacity(capacity: usize) -> Self {
        Self { owners: Mutex::new(LruCache::new(capacity.max(1))), active: Gauge::default() }
    }

    /// This map, adding its entries to `active`.
    #[must_use]
    pub fn counted_by(self, active: Gauge) -> Self {
        Self { active, ..self }
    }

    /// Whose session this is; its owner's use counts as recent use.
    pub fn check(&self, session: &str, user_id: &str) -> Ownership {
        let mut owners = self.lock();
        match owners.peek(session).map(|owner| owner == user_id) {
            None => Ownership::Unknown,
            Some(true) => {
                owners.get(session); // only the owner's use keeps an entry fresh
                Ownership::Owner
            }
            Some(false) => Ownership::Stranger,
        }
    }

    /// Records a new session's owner. Returns the session evicted to make room, if any, which
    /// the caller must close.
    #[must_use = "an evicted session must be closed"]
    pub fn record(&self, session: &str, user_id: &str) -> Option<String> {
        let mut owners = self.lock();
        let evicted = if owners.len() >= owners.capacity() && !owners.contains_key(session) {
            owners.remove_lru().map(|(id, _)| id)
        } else {
            None
        };
        let before = owners.len();
        owners.insert(session.to_owned(), user_id.to_owned());
        if owners.len() > before {
            self.active.inc();
        }
        evicted
    }

    pub fn forget(&self, session: &str) {
        if self.lock().remove(session).is_some() {
            self.active.dec();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, String>> {
        self.owners.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_stranger_unknown() {
        let s = SessionOwners::default();
        assert_eq!(s.check("s1", "alice"), Ownership::Unknown);
        assert_eq!(s.record("s1", "alice"), None);
        assert_eq!(s.check("s1", "alice"), Ownership::Owner);
        assert_eq!(s.check("s1", "bob"), Ownership::Stranger);
        s.forget("s1");
        assert_eq!(s.check("s1", "bob"), Ownership::Unknown);
    }

    #[test]
    fn the_map_is_capped_and_evicts_the_least_recently_used_session() {
        let s = SessionOwners::with_capacity(3);
        for n in 1..=3 {
            assert_eq!(s.record(&format!("s{n}"), "alice"), None);
        }
        // s1 is used, so s2 is now the least recently used.
        assert_eq!(s.check("s1", "alice"), Ownership::Owner);
        assert_eq!(s.record("s4", "bob").as_deref(), Some("s2"), "evicted, to be closed");
        assert_eq!(s.check("s2", "alice"), Ownership::Unknown);
        assert_eq!(s.check("s1", "bob"), Ownership::Stranger, "kept");
        for n in 5..=1000 {
            assert!(s.record(&format!("s{n}"), "mallory").is_some(), "every new session beyond the cap evicts one");
        }
        assert_eq!(s.owners.lock().expect("lock").len(), 3);
        assert_eq!(s.check("s1", "bob"), Ownership::Unknown, "eventually the oldest go too");
    }
}
