//! A fixed-window counter per client network, in memory: enough to stop one host from flooding
//! dynamic registration. IPv6 clients are counted per /64 ([`network_key`]), the block one
//! subscriber usually gets, or a single host could pick a fresh address for every request.
//! Behind a reverse proxy every request shares the proxy's address, so the limit then applies to
//! all callers together (see `--trusted-proxies`).
//!
//! At most [`MAX_TRACKED`] networks are remembered, in an LRU map (O(1) per request): when it is
//! full, the network heard from least recently is forgotten, which only ever lets that network
//! start a fresh window early.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hashlink::LruCache;

use super::client_addr::network_key;

pub const REGISTRATION_WINDOW_SECS: u64 = 600;
/// Networks remembered at most; the least recently seen goes first when full.
pub const MAX_TRACKED: usize = 100_000;

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    /// Network → (start of its window, requests counted in it).
    seen: Mutex<LruCache<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self::with_capacity(limit, window, MAX_TRACKED)
    }

    /// A limiter that remembers at most `capacity` networks.
    pub fn with_capacity(limit: u32, window: Duration, capacity: usize) -> Self {
        Self { limit, window, seen: Mutex::new(LruCache::new(capacity.max(1))) }
    }

    /// Counts one request from `addr`; `Err(seconds)` says how long to wait when over the limit.
    pub fn check(&self, addr: IpAddr) -> Result<(), u64> {
        self.check_at(addr, Instant::now())
    }

    /// [`RateLimiter::check`] at an explicit time.
    pub fn check_at(&self, addr: IpAddr, now: Instant) -> Result<(), u64> {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = network_key(addr);
        if !seen.contains_key(&key) {
            seen.insert(key, (now, 0)); // evicts the least recently seen network when full
        }
        let Some(entry) = seen.get_mut(&key) else { return Ok(()) };
        if now.saturating_duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return Err(self.window.saturating_sub(now.saturating_duration_since(entry.0)).as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// How many networks are remembered (for tests).
    pub fn tracked(&self) -> usize {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn limits_per_address_within_a_window() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let (a, b) = (ip("127.0.0.1"), ip("127.0.0.2"));
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_err());
        assert!(limiter.check(b).is_ok());
        let t0 = Instant::now();
        let windowed = RateLimiter::new(1, Duration::from_secs(60));
        assert!(windowed.check_at(a, t0).is_ok());
        assert_eq!(windowed.check_at(a, t0 + Duration::from_secs(15)), Err(45));
        assert!(windowed.check_at(a, t0 + Duration::from_secs(60)).is_ok(), "a new window starts");
    }

    #[test]
    fn one_ipv6_slash_64_is_one_client() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.check(ip("2001:db8:1:2::1")).is_ok());
        assert!(limiter.check(ip("2001:db8:1:2:ffff:ffff:ffff:fffe")).is_ok());
        assert!(limiter.check(ip("2001:db8:1:2:abcd::9")).is_err(), "same /64: same budget");
        assert!(limiter.check(ip("2001:db8:1:3::1")).is_ok(), "the next /64 is another client");
        assert_eq!(limiter.tracked(), 2);
    }

    #[test]
    fn the_map_is_capped_and_forgets_the_least_recently_seen() {
        let limiter = RateLimiter::with_capacity(1, Duration::from_secs(600), 3);
        let t0 = Instant::now();
        for n in 1..=3 {
            assert!(limiter.check_at(ip(&format!("10.0.0.{n}")), t0).is_ok());
        }
        // 10.0.0.1 is seen again (refused, but now the most recent), so 10.0.0.2 is the oldest.
        assert!(limiter.check_at(ip("10.0.0.1"), t0).is_err());
        for n in 4..=1000 {
            let _ = limiter.check_at(ip(&format!("10.0.{}.{}", n / 256, n % 256)), t0);
            assert!(limiter.tracked() <= 3, "hard cap");
            if n == 4 {
                assert!(limiter.check_at(ip("10.0.0.1"), t0).is_err(), "recently seen: still counted");
                assert!(limiter.check_at(ip("10.0.0.2"), t0).is_ok(), "least recently seen: forgotten");
            }
        }
        assert_eq!(limiter.tracked(), 3);
    }
}
