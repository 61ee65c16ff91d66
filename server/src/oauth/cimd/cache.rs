//! Validated metadata documents kept in memory for as long as their HTTP cache headers allow,
//! within a floor (so a client cannot make us fetch on every request by saying max-age=1) and a
//! ceiling (so a changed or withdrawn document is noticed within a day). `no-store`, `no-cache`
//! and `max-age=0` mean not cached at all. Failures are never cached (the draft forbids it).
//!
//! Memory rather than the database: entries are cheap to refetch, a restart that empties the
//! cache only costs one fetch per client, and nothing here needs to survive or be shared.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use http::{header, HeaderMap};

use crate::store::Client;

/// Cache lifetime when the response says nothing.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
pub const MIN_TTL: Duration = Duration::from_secs(60);
pub const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// Documents kept at most; the one closest to expiry goes first.
pub const CAPACITY: usize = 1000;

#[derive(Debug)]
pub struct DocumentCache {
    entries: Mutex<HashMap<String, (Client, Instant)>>,
    capacity: usize,
}

impl DocumentCache {
    pub fn new(capacity: usize) -> Self {
        Self { entries: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    /// The cached client for `url`, if still fresh.
    pub fn get(&self, url: &str, now: Instant) -> Option<Client> {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match entries.get(url) {
            Some((client, until)) if *until > now => Some(client.clone()),
            Some(_) => {
                entries.remove(url);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, url: &str, client: Client, ttl: Duration, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !entries.contains_key(url) && entries.len() >= self.capacity {
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= self.capacity {
                let soonest = entries.iter().min_by_key(|(_, (_, until))| *until).map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    entries.remove(&k);
                }
            }
        }
        entries.insert(url.to_owned(), (client, now + ttl));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }
}

/// How long a response with these headers may be cached; `None`: not at all.
pub fn lifetime(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let directives: Vec<String> = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives.iter().any(|d| d == "no-store" || d == "no-cache") {
        return None;
    }
    let max_age =
        directives.iter().find_map(|d| d.strip_prefix("max-age=").map(|s| s.trim_matches('"').parse::<u64>()));
    let ttl = match max_age {
        Some(Ok(secs)) => Duration::from_secs(secs),
        // A malformed max-age makes the response stale (RFC 9111 §4.2.1).
        Some(Err(_)) => return None,
        None => match headers.get(header::EXPIRES).and_then(|v| v.to_str().ok()) {
            // An invalid Expires (often "0") means already expired (RFC 9111 §5.3).
            Some(raw) => httpdate::parse_http_date(raw).ok()?.duration_since(now).ok()?,
            None => DEFAULT_TTL,
        },
    };
    (!ttl.is_zero()).then(|| ttl.clamp(MIN_TTL, MAX_TTL))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), v.parse().expect("header value"));
        }
        h
    }

    #[test]
    fn lifetimes_follow_the_headers_within_bounds() {
        let now = SystemTime::now();
        assert_eq!(lifetime(&HeaderMap::new(), now), Some(DEFAULT_TTL));
        assert_eq!(
            lifetime(&headers(&[(header::CACHE_CONTROL, "public, max-age=600")]), now),
            Some(Duration::from_secs(600))
        );
        assert_eq!(lifetime(&headers(&[(header::CACHE_CONTROL, "max-age=5")]), now), Some(MIN_TTL));
        assert_eq!(lifetime(&headers(&[(header::CACHE_CONTROL, "max-age=9999999")]), now), Some(MAX_TTL));
        assert_eq!(lifetime(&headers(&[(header::CACHE_CONTROL, "max-age=0")]), now), None);
        assert_eq!(lifetime(&headers(&[(header::CACHE_CONTROL, "max-age=abc")]), now), None);
        assert_eq!(lifetime(&headers(&[(header::CACHE_CONTROL, "No-Store")]), now), None);
        assert_eq!(lifetime(&headers(&[(header::CACHE_CONTROL, "max-age=600, no-cache")]), now), None);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(3600));
        let ttl = lifetime(&headers(&[(header::EXPIRES, &later)]), now).expect("cacheable");
        assert!(ttl > Duration::from_secs(3590) && ttl <= Duration::from_secs(3600), "{ttl:?}");
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(60));
        assert_eq!(lifetime(&headers(&[(header::EXPIRES, &earlier)]), now), None);
        assert_eq!(lifetime(&headers(&[(header::EXPIRES, "0")]), now), None);
        // max-age wins over Expires.
        let both = headers(&[(header::CACHE_CONTROL, "max-age=120"), (header::EXPIRES, &earlier)]);
        assert_eq!(lifetime(&both, now), Some(Duration::from_secs(120)));
    }

    fn client(id: &str) -> Client {
        Client { client_id: id.into(), ..Client::default() }
    }

    #[test]
    fn entries_expire_and_the_size_is_bounded() {
        let cache = DocumentCache::new(2);
        let t0 = Instant::now();
        cache.put("a", client("a"), Duration::from_secs(10), t0);
        assert!(cache.get("a", t0 + Duration::from_secs(9)).is_some());
        assert!(cache.get("a", t0 + Duration::from_secs(10)).is_none());
        cache.put("a", client("a"), Duration::from_secs(10), t0);
        cache.put("b", client("b"), Duration::from_secs(100), t0);
        cache.put("c", client("c"), Duration::from_secs(100), t0);
        assert_eq!(cache.len(), 2);
        assert!(cache.get("a", t0).is_none(), "the entry closest to expiry was evicted");
        assert!(cache.get("b", t0).is_some() && cache.get("c", t0).is_some());
    }
}
