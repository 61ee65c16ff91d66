//! Native targets (server, CLI, tests): the `url` crate.

use super::Host;

#[derive(Clone, PartialEq, Eq)]
pub(super) struct Inner(url::Url);

pub(super) type ParseErrorKind = url::ParseError;

impl Inner {
    pub(super) fn parse(raw: &str) -> Result<Self, ParseErrorKind> {
        url::Url::parse(raw).map(Self)
    }

    pub(super) fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub(super) fn username(&self) -> &str {
        self.0.username()
    }

    pub(super) fn password(&self) -> Option<&str> {
        self.0.password()
    }

    pub(super) fn host_str(&self) -> Option<&str> {
        self.0.host_str()
    }

    pub(super) fn host(&self) -> Option<Host<'_>> {
        Some(match self.0.host()? {
            url::Host::Domain(d) => Host::Domain(d),
            url::Host::Ipv4(ip) => Host::Ipv4(ip),
            url::Host::Ipv6(ip) => Host::Ipv6(ip),
        })
    }

    pub(super) fn port(&self) -> Option<u16> {
        self.0.port()
    }

    pub(super) fn path(&self) -> &str {
        self.0.path()
    }

    pub(super) fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    pub(super) fn set_query(&mut self, query: Option<&str>) {
        self.0.set_query(query);
    }
}
