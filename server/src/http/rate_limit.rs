//! A fixed-window counter per client network, kept in the store so that every replica counts
//! into one total: enough to stop one host from flooding dynamic registration. IPv6 clients are
//! counted per /64 ([`network_key`]), the block one subscriber usually gets, or a single host
//! could pick a fresh address for every request. Behind a reverse proxy every request shares the
//! proxy's address unless `--trusted-proxies` names it, so the limit then applies to all callers
//! together. Counters are purged once a day past their window, so a flood from many networks
//! leaves at most one row per network and window.

use std::net::IpAddr;

use super::client_addr::network_key;
use crate::error::Error;
use crate::store::Store;

pub const REGISTRATION_WINDOW_SECS: i64 = 600;

pub struct RateLimiter {
    /// What the counters of this limiter are called in the store (`register`).
    name: &'static str,
    limit: u32,
    window_secs: i64,
}

impl RateLimiter {
    pub fn new(name: &'static str, limit: u32, window_secs: i64) -> Self {
        Self { name, limit, window_secs: window_secs.max(1) }
    }

    /// Counts one request from `addr` at `now`; `Ok(Err(seconds))` when it is over the limit,
    /// with the seconds until its window ends.
    pub async fn check(&self, store: &dyn Store, addr: IpAddr, now: i64) -> Result<Result<(), i64>, Error> {
        let key = format!("{}:{}", self.name, network_key(addr));
        let (hits, window_start) = store.count_request(&key, now, self.window_secs).await?;
        if hits > i64::from(self.limit) {
            return Ok(Err((window_start + self.window_secs - now).max(1)));
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    async fn store() -> (tempfile::TempDir, crate::store::SharedStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::open(dir.path().join("t.db").to_str().unwrap()).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn limits_per_address_within_a_window() {
        let (_dir, store) = store().await;
        let limiter = RateLimiter::new("t", 2, 60);
        let (a, b) = (ip("127.0.0.1"), ip("127.0.0.2"));
        let t0 = 1_000_000;
        assert_eq!(limiter.check(&*store, a, t0).await.unwrap(), Ok(()));
        assert_eq!(limiter.check(&*store, a, t0).await.unwrap(), Ok(()));
        assert_eq!(limiter.check(&*store, a, t0 + 15).await.unwrap(), Err(45));
        assert_eq!(limiter.check(&*store, b, t0).await.unwrap(), Ok(()));
        assert_eq!(limiter.check(&*store, a, t0 + 60).await.unwrap(), Ok(()), "a new window starts");
    }

    #[tokio::test]
    async fn one_ipv6_slash_64_is_one_client() {
        let (_dir, store) = store().await;
        let limiter = RateLimiter::new("t", 2, 60);
        assert!(limiter.check(&*store, ip("2001:db8:1:2::1"), 0).await.unwrap().is_ok());
        assert!(limiter.check(&*store, ip("2001:db8:1:2:ffff::9"), 0).await.unwrap().is_ok());
        assert!(limiter.check(&*store, ip("2001:db8:1:2::3"), 0).await.unwrap().is_err(), "same /64");
        assert!(limiter.check(&*store, ip("2001:db8:1:3::1"), 0).await.unwrap().is_ok(), "another /64");
    }
}
