//! Binds each MCP session to the user who opened it (MCP security best practices: session ids
//! are not credentials). A request naming another user's session is answered as if the session
//! did not exist, so it can neither be used, ended, nor probed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sessions older than this are forgotten when the map is pruned; rmcp ends idle ones sooner.
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
const PRUNE_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct SessionOwners {
    owners: Mutex<HashMap<String, (String, Instant)>>,
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
    pub fn check(&self, session: &str, user_id: &str) -> Ownership {
        let owners = self.owners.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match owners.get(session) {
            None => Ownership::Unknown,
            Some((owner, _)) if owner == user_id => Ownership::Owner,
            Some(_) => Ownership::Stranger,
        }
    }

    pub fn record(&self, session: &str, user_id: &str) {
        let mut owners = self.owners.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if owners.len() >= PRUNE_ABOVE {
            owners.retain(|_, (_, at)| at.elapsed() < MAX_AGE);
        }
        owners.insert(session.to_owned(), (user_id.to_owned(), Instant::now()));
    }

    pub fn forget(&self, session: &str) {
        self.owners.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_stranger_unknown() {
        let s = SessionOwners::default();
        assert_eq!(s.check("s1", "alice"), Ownership::Unknown);
        s.record("s1", "alice");
        assert_eq!(s.check("s1", "alice"), Ownership::Owner);
        assert_eq!(s.check("s1", "bob"), Ownership::Stranger);
        s.forget("s1");
        assert_eq!(s.check("s1", "bob"), Ownership::Unknown);
    }
}
