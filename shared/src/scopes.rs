//! Scope names and space-separated scope sets (RFC 6749 §3.3).

use std::fmt;

/// Read the caller's own profile, stats and user data through MCP.
pub const USER: &str = "user";
/// Change the caller's own profile (`update_profile`); asked for only when needed (step-up).
pub const USER_WRITE: &str = "user:write";
/// Every scope the authorization server knows, in the order it advertises them.
pub const SUPPORTED: &[&str] = &[USER, USER_WRITE];
/// What the MCP endpoint as a whole needs; advertised in the 401 challenge.
pub const MCP_REQUIRED: &[&str] = &[USER];

/// The one table of privileged tools: every scope a `tools/call` of this tool needs (the
/// endpoint's own scope included). Tools not listed need only [`MCP_REQUIRED`].
pub const PRIVILEGED_TOOLS: &[(&str, &[&str])] = &[(crate::mcp::TOOL_UPDATE_PROFILE, &[USER, USER_WRITE])];

/// Every scope a call of `tool` needs.
#[must_use]
pub fn required_for_tool(tool: &str) -> &'static [&'static str] {
    PRIVILEGED_TOOLS.iter().find(|(name, _)| *name == tool).map_or(MCP_REQUIRED, |(_, needed)| needed)
}

/// A set of scope tokens, kept sorted and without duplicates so that its string form is
/// canonical. A sorted `Vec`: sets hold a handful of tokens, and a `BTreeSet`'s node code cost
/// the browser client ~1 KB.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet(Vec<String>);

impl ScopeSet {
    /// Parses a space-separated scope string. Returns `None` when a token contains characters
    /// outside RFC 6749's `scope-token` grammar (`%x21 / %x23-5B / %x5D-7E`).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let mut set = Self::default();
        for token in s.split(' ').filter(|t| !t.is_empty()) {
            let ok = token.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !ok {
                return None;
            }
            set.insert(token);
        }
        Some(set)
    }

    #[must_use]
    pub fn from_names(names: &[&str]) -> Self {
        let mut set = Self::default();
        set.extend_names(names);
        set
    }

    /// Adds `scope` at its place in the order, unless it is there already.
    fn insert(&mut self, scope: &str) {
        if let Err(at) = self.0.binary_search_by(|s| s.as_str().cmp(scope)) {
            self.0.insert(at, scope.to_owned());
        }
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        self.0.binary_search_by(|s| s.as_str().cmp(scope)).is_ok()
    }

    #[must_use]
    pub fn is_subset_of(&self, other: &Self) -> bool {
        self.iter().all(|s| other.contains(s))
    }

    /// Scopes in `self` that `allowed` does not contain.
    #[must_use]
    pub fn unknown_in(&self, allowed: &[&str]) -> Vec<String> {
        self.0.iter().filter(|s| !allowed.contains(&s.as_str())).cloned().collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Every scope in `self` or `other` (what a step-up re-authorization asks for).
    #[must_use]
    pub fn union(&self, other: &Self) -> Self {
        let mut union = self.clone();
        other.iter().for_each(|s| union.insert(s));
        union
    }

    /// Adds the scopes named in `names`.
    pub fn extend_names(&mut self, names: &[&str]) {
        names.iter().for_each(|s| self.insert(s));
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope)?;
        }
        Ok(())
    }
}

/// The scopes a step-up re-authorization asks for: what was `granted` plus what the server
/// `challenged` with. `None` when the grant already has them all (asking again could only loop)
/// or the challenge's scope is malformed.
#[must_use]
pub fn step_up_scope(granted: Option<&str>, challenged: &str) -> Option<ScopeSet> {
    let have = granted.and_then(ScopeSet::parse).unwrap_or_default();
    let needed = ScopeSet::parse(challenged)?;
    (!needed.is_subset_of(&have)).then(|| have.union(&needed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_up_asks_for_the_union_and_never_twice() {
        let ask = |granted, challenged| step_up_scope(granted, challenged).map(|u| u.to_string());
        assert_eq!(ask(Some("user"), "user user:write"), Some("user user:write".into()));
        assert_eq!(ask(Some("user"), "user:write"), Some("user user:write".into()));
        assert_eq!(ask(Some("user user:write"), "user user:write"), None);
        assert_eq!(ask(Some("user:write user"), "user:write"), None);
        assert_eq!(ask(None, "user"), Some("user".into()));
        assert_eq!(ask(Some("user"), "bad\"scope"), None);
    }

    #[test]
    fn parses_and_canonicalises() {
        let s = ScopeSet::parse("  user   admin user ").expect("valid");
        assert_eq!(s.to_string(), "admin user");
        assert!(s.contains("user"));
        assert!(ScopeSet::from_names(&["user"]).is_subset_of(&s));
        assert_eq!(s.unknown_in(SUPPORTED), vec!["admin".to_owned()]);
    }

    #[test]
    fn union_and_tool_table() {
        let have = ScopeSet::parse("user").expect("valid");
        let asked = ScopeSet::parse("user user:write").expect("valid");
        assert_eq!(have.union(&asked).to_string(), "user user:write");
        assert_eq!(required_for_tool(crate::mcp::TOOL_UPDATE_PROFILE), &[USER, USER_WRITE]);
        assert_eq!(required_for_tool(crate::mcp::TOOL_GET_USER_DATA), MCP_REQUIRED);
        assert_eq!(required_for_tool("no_such_tool"), MCP_REQUIRED);
    }

    #[test]
    fn rejects_bad_tokens() {
        assert!(ScopeSet::parse("us\"er").is_none());
        assert!(ScopeSet::parse("a\\b").is_none());
        assert!(ScopeSet::parse("caf\u{e9}").is_none());
        assert!(ScopeSet::parse("").expect("empty is valid").is_empty());
    }

    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// The sorted `Vec` behaves as the `BTreeSet` it replaced: same canonical string,
        /// membership, subset and union.
        #[test]
        fn behaves_as_a_btreeset(a in proptest::collection::vec("[a-c:]{1,3}", 0..6), b in proptest::collection::vec("[a-c:]{1,3}", 0..6)) {
            let (sa, sb) = (ScopeSet::parse(&a.join(" ")).expect("valid"), ScopeSet::parse(&b.join(" ")).expect("valid"));
            let (ta, tb): (BTreeSet<String>, BTreeSet<String>) = (a.iter().cloned().collect(), b.iter().cloned().collect());
            let joined = |t: &BTreeSet<String>| t.iter().cloned().collect::<Vec<_>>().join(" ");
            prop_assert_eq!(sa.to_string(), joined(&ta));
            prop_assert_eq!(sa.is_subset_of(&sb), ta.is_subset(&tb));
            prop_assert_eq!(sa.union(&sb).to_string(), joined(&ta.union(&tb).cloned().collect()));
            for token in &b {
                prop_assert_eq!(sa.contains(token), ta.contains(token));
            }
        }
    }
}
