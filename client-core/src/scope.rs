//! Which scopes to ask for: the challenge's `scope`, else everything the resource lists in
//! `scopes_supported`, else none (the parameter is omitted); `offline_access` is added only when
//! the AS lists it. A step-up asks for the union of what was granted and what was challenged,
//! and gives up when that would not change anything or the retry budget is spent.

use shared::scopes::{self, ScopeSet};

use crate::error::CoreError;

pub const OFFLINE_ACCESS: &str = "offline_access";

/// The `scope` of the first authorization request (MCP "Scope Selection Strategy").
#[must_use]
pub fn select(challenge_scope: Option<&str>, prm_scopes: &[String], as_scopes: &[String]) -> Option<String> {
    let base = challenge_scope
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .or_else(|| (!prm_scopes.is_empty()).then(|| prm_scopes.join(" ")));
    with_offline_access(base, as_scopes)
}

/// Adds `offline_access` when (and only when) the AS lists it, so a refresh token may be issued.
#[must_use]
pub fn with_offline_access(scope: Option<String>, as_scopes: &[String]) -> Option<String> {
    if !as_scopes.iter().any(|s| s == OFFLINE_ACCESS) {
        return scope;
    }
    let mut set = scope.as_deref().and_then(ScopeSet::parse).unwrap_or_default();
    set.extend_names(&[OFFLINE_ACCESS]);
    Some(set.to_string())
}

/// The scope to register a dynamic client for: the requested one plus every scope the resource
/// supports, so that a later step-up may ask for more with the same client.
#[must_use]
pub fn registration_scope(requested: Option<&str>, prm_scopes: &[String]) -> Option<String> {
    let mut set = requested.and_then(ScopeSet::parse).unwrap_or_default();
    set.extend_names(&prm_scopes.iter().map(String::as_str).collect::<Vec<_>>());
    (!set.is_empty()).then(|| set.to_string())
}

/// How many step-up logins one operation may trigger before the error is shown instead.
pub const STEP_UP_LIMIT: u32 = 1;

/// The scope for a step-up after a 403 `insufficient_scope` on `method`: the union of
/// `granted` and `challenged`. An error when the grant already had them all, or `attempts` (the
/// step-ups already made for this operation) reached [`STEP_UP_LIMIT`]: asking again would loop.
pub fn step_up(method: &str, granted: Option<&str>, challenged: &str, attempts: u32) -> Result<ScopeSet, CoreError> {
    let exhausted = || CoreError::StepUpExhausted {
        method: method.to_owned(),
        scope: challenged.to_owned(),
        have: granted.unwrap_or_default().to_owned(),
    };
    if attempts >= STEP_UP_LIMIT {
        return Err(exhausted());
    }
    scopes::step_up_scope(granted, challenged).ok_or_else(exhausted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn challenge_scope_wins_then_scopes_supported_then_nothing() {
        let prm = strings(&["a", "b"]);
        assert_eq!(select(Some("c"), &prm, &[]), Some("c".into()));
        assert_eq!(select(Some("  "), &prm, &[]), Some("a b".into()));
        assert_eq!(select(None, &prm, &[]), Some("a b".into()));
        assert_eq!(select(None, &[], &[]), None);
    }

    #[test]
    fn offline_access_only_when_the_as_lists_it() {
        assert_eq!(select(Some("user"), &[], &strings(&["user"])), Some("user".into()));
        assert_eq!(select(Some("user"), &[], &strings(&["user", OFFLINE_ACCESS])), Some("offline_access user".into()));
        assert_eq!(select(None, &[], &strings(&[OFFLINE_ACCESS])), Some(OFFLINE_ACCESS.into()));
    }

    #[test]
    fn step_up_is_the_union_and_has_a_limit() {
        let got = step_up("tools/call", Some("user"), "user:write", 0).map(|s| s.to_string());
        assert_eq!(got, Ok("user user:write".into()));
        assert!(matches!(
            step_up("m", Some("user"), "user:write", STEP_UP_LIMIT),
            Err(CoreError::StepUpExhausted { .. })
        ));
        assert!(matches!(
            step_up("m", Some("user user:write"), "user:write", 0),
            Err(CoreError::StepUpExhausted { .. })
        ));
    }

    #[test]
    fn registration_scope_covers_every_supported_scope() {
        assert_eq!(registration_scope(Some("user"), &strings(&["user", "user:write"])), Some("user user:write".into()));
        assert_eq!(registration_scope(None, &[]), None);
    }
}
