//! [`Url`]: one parsed-URL type for the workspace, with one parser per target. Native builds
//! wrap the `url` crate; the browser build (wasm32) asks the browser's own WHATWG parser
//! (`URL`), the same standard `url` implements, so the SPA ships neither `url` nor `idna` and
//! its ICU4X normalisation tables (~55 KB of the gzipped bundle). Only parsing and the
//! accessors differ per target; every rule in [`crate::urls`] is written once over them and
//! reads only normalised parts (scheme, host, port, path, query, fragment, origin).

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::form;

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
use browser as imp;
#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
use native as imp;

/// An absolute URL, parsed and normalised by the WHATWG URL standard: scheme and host in lower
/// case, IPv4 shorthand expanded (`127.1` → `127.0.0.1`), a default port dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Url(imp::Inner);

/// The host of a URL. IPv6 without its brackets; IPv4 only for special schemes (`http`,
/// `https`, ...), as `url::Host` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    Domain(&'a str),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

/// Why a string is not an absolute URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(imp::ParseErrorKind);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for ParseError {}

impl Url {
    /// Parses an absolute URL (no base).
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        imp::Inner::parse(raw).map(Self).map_err(ParseError)
    }

    /// The serialised URL (`href`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The scheme, lower case, without its `:`.
    #[must_use]
    pub fn scheme(&self) -> &str {
        let s = self.as_str();
        s.find(':').map_or(s, |end| &s[..end])
    }

    /// The user name, percent-encoded; empty when there is none.
    #[must_use]
    pub fn username(&self) -> &str {
        self.0.username()
    }

    /// The password, percent-encoded; `None` when absent or empty.
    #[must_use]
    pub fn password(&self) -> Option<&str> {
        self.0.password()
    }

    /// The host as written in the URL (IPv6 in brackets), `None` when there is none.
    #[must_use]
    pub fn host_str(&self) -> Option<&str> {
        self.0.host_str()
    }

    #[must_use]
    pub fn host(&self) -> Option<Host<'_>> {
        self.0.host()
    }

    /// The port, `None` when absent or the scheme's default (`:443` on https).
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.0.port()
    }

    /// The path, percent-encoded as serialised (`/` at least for http(s)).
    #[must_use]
    pub fn path(&self) -> &str {
        self.0.path()
    }

    /// The query without its `?`: `None` when there is no `?`, `Some("")` for a bare `?`.
    #[must_use]
    pub fn query(&self) -> Option<&str> {
        self.before_fragment().split_once('?').map(|(_, q)| q)
    }

    /// The fragment without its `#`: `None` when there is no `#`, `Some("")` for a bare `#`.
    #[must_use]
    pub fn fragment(&self) -> Option<&str> {
        // Only the fragment delimiter can be a raw `#` in a serialised URL: every part before
        // it percent-encodes `#`, and so `?` in the parts before the query.
        self.as_str().split_once('#').map(|(_, f)| f)
    }

    /// The origin as a browser writes it in the `Origin` header: `scheme://host[:port]`, or
    /// `null` for an opaque origin (a scheme that is not http(s), ws(s) or ftp).
    #[must_use]
    pub fn origin(&self) -> String {
        self.0.origin()
    }

    /// Whether both URLs have the same tuple origin; an opaque origin is the same as nothing.
    #[must_use]
    pub fn same_origin(&self, other: &Self) -> bool {
        let (a, b) = (self.origin(), other.origin());
        a != "null" && a == b
    }

    /// The query's `application/x-www-form-urlencoded` pairs, decoded.
    pub fn query_pairs(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
        form::parse(self.query().unwrap_or_default())
    }

    /// Replaces the query (`None` removes it with its `?`); the fragment stays.
    pub fn set_query(&mut self, query: Option<&str>) {
        self.0.set_query(query);
    }

    /// Appends form-encoded pairs to the query, after an `&` when it already has some.
    pub fn append_query_pairs<'p>(&mut self, pairs: impl IntoIterator<Item = (&'p str, &'p str)>) {
        let mut query = self.query().unwrap_or_default().to_owned();
        for (name, value) in pairs {
            form::append_pair(&mut query, name, value);
        }
        self.set_query(Some(&query));
    }

    fn before_fragment(&self) -> &str {
        let s = self.as_str();
        s.split_once('#').map_or(s, |(before, _)| before)
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Url").field(&self.as_str()).finish()
    }
}

#[cfg(test)]
mod tests;
