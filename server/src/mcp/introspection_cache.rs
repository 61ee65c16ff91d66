//! A short cache of positive introspection answers, so that in introspection mode a busy MCP
//! session does not cost one authorization-server round trip per request. Keyed by the token's
//! SHA-256 (never the token itself); an entry lives `ttl` seconds at most and never past the
//! token's own expiry, so a revocation reaches the resource server within `ttl`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::verifier::AuthContext;

/// Entries kept at most; beyond it, expired ones are dropped first, then everything.
const MAX_ENTRIES: usize = 10_000;

pub struct IntrospectionCache {
    ttl: i64,
    entries: Mutex<HashMap<String, (i64, Arc<AuthContext>)>>,
}

impl IntrospectionCache {
    /// `ttl` 0 turns the cache off: every request is introspected.
    pub fn new(ttl: i64) -> Self {
        Self { ttl: ttl.max(0), entries: Mutex::default() }
    }

    pub fn get(&self, token: &str, now: i64) -> Option<Arc<AuthContext>> {
        if self.ttl == 0 {
            return None;
        }
        let key = crate::oauth::secrets::hash(token);
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match entries.get(&key) {
            Some((until, ctx)) if *until > now => Some(ctx.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Forgets every answer (after a revocation: one of them may name a revoked token).
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// Remembers a valid answer for a token that expires at `exp`.
    pub fn put(&self, token: &str, ctx: &Arc<AuthContext>, exp: i64, now: i64) {
        let until = exp.min(now.saturating_add(self.ttl));
        if self.ttl == 0 || until <= now {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (until, _)| *until > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(crate::oauth::secrets::hash(token), (until, ctx.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Arc<AuthContext> {
        Arc::new(AuthContext {
            user_id: "u".into(),
            client_id: "c".into(),
            scopes: shared::scopes::ScopeSet::default(),
        })
    }

    #[test]
    fn entries_live_for_the_ttl_and_never_past_the_tokens_expiry() {
        let cache = IntrospectionCache::new(5);
        cache.put("t1", &ctx(), 1_000, 100);
        assert!(cache.get("t1", 104).is_some());
        assert!(cache.get("t1", 105).is_none(), "ttl over");
        cache.put("t2", &ctx(), 102, 100);
        assert!(cache.get("t2", 101).is_some());
        assert!(cache.get("t2", 102).is_none(), "token expired before the ttl");
        assert!(cache.get("other", 101).is_none());
    }

    #[test]
    fn ttl_zero_caches_nothing() {
        let cache = IntrospectionCache::new(0);
        cache.put("t", &ctx(), 1_000, 100);
        assert!(cache.get("t", 100).is_none());
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = IntrospectionCache::new(60);
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(&format!("t{i}"), &ctx(), 1_000, 100);
        }
        let len = cache.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len();
        assert!(len <= MAX_ENTRIES, "{len}");
    }
}
