//! The browser build (wasm32): the browser's WHATWG parser through `web_sys::Url`. The parts
//! are read once, already normalised by the browser; IP hosts are recognised by parsing the
//! normalised host name, as `url::Host` reports them.

use std::fmt;
use std::net::Ipv4Addr;

use super::Host;

#[derive(Clone, PartialEq, Eq)]
pub(super) struct Inner {
    href: String,
    username: String,
    password: String,
    hostname: String,
    port: Option<u16>,
    path: String,
    origin: String,
}

/// The browser's `TypeError` says no more than this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ParseErrorKind;

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid URL")
    }
}

/// Schemes whose hosts are parsed as domains or IP addresses (the rest are opaque).
const SPECIAL: &[&str] = &["http", "https", "ws", "wss", "ftp", "file"];

impl Inner {
    pub(super) fn parse(raw: &str) -> Result<Self, ParseErrorKind> {
        let url = web_sys::Url::new(raw).map_err(|_| ParseErrorKind)?;
        Ok(Self {
            href: url.href(),
            username: url.username(),
            password: url.password(),
            hostname: url.hostname(),
            port: url.port().parse().ok(),
            path: url.pathname(),
            origin: url.origin(),
        })
    }

    pub(super) fn as_str(&self) -> &str {
        &self.href
    }

    pub(super) fn username(&self) -> &str {
        &self.username
    }

    pub(super) fn password(&self) -> Option<&str> {
        Some(self.password.as_str()).filter(|p| !p.is_empty())
    }

    pub(super) fn host_str(&self) -> Option<&str> {
        Some(self.hostname.as_str()).filter(|h| !h.is_empty())
    }

    pub(super) fn host(&self) -> Option<Host<'_>> {
        let name = self.host_str()?;
        if let Some(v6) = name.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            if let Ok(ip) = v6.parse() {
                return Some(Host::Ipv6(ip));
            }
        }
        let scheme = self.href.split(':').next().unwrap_or_default();
        match name.parse::<Ipv4Addr>() {
            Ok(ip) if SPECIAL.contains(&scheme) => Some(Host::Ipv4(ip)),
            _ => Some(Host::Domain(name)),
        }
    }

    pub(super) fn port(&self) -> Option<u16> {
        self.port
    }

    pub(super) fn path(&self) -> &str {
        &self.path
    }

    pub(super) fn origin(&self) -> String {
        self.origin.clone()
    }

    /// Rebuilds the serialised URL with the new query and lets the browser parse it again.
    pub(super) fn set_query(&mut self, query: Option<&str>) {
        let (before, fragment) = match self.href.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (self.href.as_str(), None),
        };
        let mut next = before.split_once('?').map_or(before, |(b, _)| b).to_owned();
        if let Some(q) = query {
            next.push('?');
            next.push_str(q);
        }
        if let Some(f) = fragment {
            next.push('#');
            next.push_str(f);
        }
        if let Ok(parsed) = Self::parse(&next) {
            *self = parsed;
        }
    }
}
