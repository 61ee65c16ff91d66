//! A fixed-window counter per client address, in memory: enough to stop one host from flooding
//! dynamic registration. Behind a reverse proxy every request shares the proxy's address, so the
//! limit then applies to all callers together.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const REGISTRATION_WINDOW_SECS: u64 = 600;
/// Addresses remembered at most; older windows are dropped first when full.
const MAX_TRACKED: usize = 100_000;

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, seen: Mutex::default() }
    }

    /// Counts one request from `addr`; `Err(seconds)` says how long to wait when over the limit.
    pub fn check(&self, addr: IpAddr) -> Result<(), u64> {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if seen.len() >= MAX_TRACKED {
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = seen.entry(addr).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return Err(self.window.saturating_sub(now.duration_since(entry.0)).as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_within_a_window() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = "127.0.0.1".parse().expect("ip");
        let b: IpAddr = "127.0.0.2".parse().expect("ip");
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_err());
        assert!(limiter.check(b).is_ok());
        let expired = RateLimiter::new(1, Duration::from_millis(0));
        assert!(expired.check(a).is_ok());
        assert!(expired.check(a).is_ok(), "a new window starts");
    }
}
