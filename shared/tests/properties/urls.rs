//! Redirect-URI rules (OAuth 2.1 §2.3.1, RFC 8252 §7), redirect-URI matching and canonical
//! resource identifiers (RFC 8707 §2).

use proptest::prelude::*;
use shared::urls::{
    canonical_resource, is_loopback, names_resource, redirect_uri_matches, validate_native_redirect_uri,
    validate_redirect_uri, Host, LoopbackPorts, Url,
};

use super::{config, messy_string};

/// URL-shaped strings built from pieces that each hit some rule: odd schemes, userinfo, loopback
/// spellings, ports out of range, dot segments, escapes, queries and fragments.
fn url_like() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "http",
        "https",
        "HTTP",
        "hTTps",
        "ftp",
        "com.example.app",
        "myapp",
        "javascript",
        "",
        ".a.b",
        "a.b.",
        "a+b.c",
    ]);
    let sep = prop::sample::select(vec!["://", ":", ":/", ":///", "//", ""]);
    let userinfo = prop::sample::select(vec!["", "", "", "u@", "u:p@", ":@", "@", "%40@"]);
    let host = prop::sample::select(vec![
        "127.0.0.1",
        "127.9.9.9",
        "localhost",
        "LocalHost",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "app.example",
        "APP.Example",
        "0x7f.1",
        "2130706433",
        "127.0.0.1.",
        "%31%32%37.0.0.1",
        "[fe80::1]",
        "xn--nxasmq6b.example",
        "例え.jp",
        "",
        "[::1",
        "a b",
        "localhost.",
    ]);
    let port = prop::sample::select(vec!["", "", ":0", ":80", ":443", ":8080", ":65535", ":65536", ":-1", ":x", ":"]);
    let path = r"(/([a-zA-Z0-9_~-]{0,5}|\.|\.\.|%2[eEfF]|%63|%zz)){0,4}/?";
    let query = prop_oneof![Just(String::new()), "\\?[a-z=&%]{0,8}"];
    let fragment = prop_oneof![4 => Just(String::new()), 1 => "#[a-z]{0,4}"];
    (scheme, sep, userinfo, host, port, path, query, fragment)
        .prop_map(|(s, sep, u, h, p, path, q, f)| format!("{s}{sep}{u}{h}{p}{path}{q}{f}"))
}

fn any_url_input() -> impl Strategy<Value = String> {
    prop_oneof![url_like(), messy_string()]
}

/// A loopback-or-not http(s) URL from normalised parts, so that different parts mean a really
/// different URL: (scheme, host, port, path, query).
type Parts = (&'static str, &'static str, Option<u16>, String, Option<String>);

fn parts() -> impl Strategy<Value = Parts> {
    (
        prop::sample::select(vec!["http", "https"]),
        prop::sample::select(vec!["127.0.0.1", "127.0.0.2", "localhost", "[::1]", "app.example", "b.example"]),
        prop::option::of(1024u16..=65535),
        prop::collection::vec("[a-z0-9_~-]{1,4}", 0..3).prop_map(|segs| format!("/{}", segs.join("/"))),
        prop::option::of("[a-z]{1,3}=[a-z0-9]{0,3}"),
    )
}

fn build((scheme, host, port, path, query): &Parts) -> String {
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    let query = query.as_ref().map(|q| format!("?{q}")).unwrap_or_default();
    format!("{scheme}://{host}{port}{path}{query}")
}

proptest! {
    #![proptest_config(config(2000))]

    /// The facade reads its query and fragment off the serialised URL (so the browser build
    /// can too); natively every accessor must still say what `url::Url` says.
    #[test]
    fn the_url_facade_agrees_with_the_url_crate(s in any_url_input(), q in "[a-z&=%+ ]{0,6}") {
        let (ours, theirs) = (Url::parse(&s), url::Url::parse(&s));
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{}", s);
        let (Ok(mut ours), Ok(mut theirs)) = (ours, theirs) else { return Ok(()) };
        prop_assert_eq!(ours.as_str(), theirs.as_str());
        prop_assert_eq!((ours.scheme(), ours.username(), ours.password()), (theirs.scheme(), theirs.username(), theirs.password()));
        prop_assert_eq!((ours.host_str(), ours.port(), ours.path()), (theirs.host_str(), theirs.port(), theirs.path()));
        prop_assert_eq!((ours.query(), ours.fragment()), (theirs.query(), theirs.fragment()), "{}", s);
        prop_assert_eq!(ours.origin(), theirs.origin().ascii_serialization());
        let host = ours.host().map(|h| match h {
            Host::Domain(d) => url::Host::Domain(d),
            Host::Ipv4(ip) => url::Host::Ipv4(ip),
            Host::Ipv6(ip) => url::Host::Ipv6(ip),
        });
        prop_assert_eq!(host, theirs.host());
        ours.append_query_pairs([("k", q.as_str()), ("x", "y z")]);
        theirs.query_pairs_mut().append_pair("k", &q).append_pair("x", "y z");
        prop_assert_eq!(ours.as_str(), theirs.as_str(), "{}", s);
        ours.set_query(None);
        theirs.set_query(None);
        prop_assert_eq!(ours.as_str(), theirs.as_str(), "{}", s);
    }

    #[test]
    fn arbitrary_strings_never_panic(a in any_url_input(), b in any_url_input()) {
        let _ = validate_redirect_uri(&a);
        let _ = validate_native_redirect_uri(&a);
        let _ = canonical_resource(&a);
        let _ = redirect_uri_matches(&a, &b, LoopbackPorts::Exact);
        let _ = redirect_uri_matches(&a, &b, LoopbackPorts::Any);
    }

    #[test]
    fn accepted_redirect_uris_keep_every_rule(s in any_url_input()) {
        if let Ok(u) = validate_redirect_uri(&s) {
            prop_assert!(u.scheme() == "https" || (u.scheme() == "http" && is_loopback(&u)), "{}", s);
            prop_assert!(u.fragment().is_none() && u.username().is_empty() && u.password().is_none(), "{}", s);
            prop_assert!(u.host().is_some(), "{}", s);
            // The native rules include the web rules.
            prop_assert!(validate_native_redirect_uri(&s).is_ok(), "{}", s);
            prop_assert!(redirect_uri_matches(&s, &s, LoopbackPorts::Exact));
            prop_assert!(redirect_uri_matches(&s, &s, LoopbackPorts::Any));
        }
        if let Ok(u) = validate_native_redirect_uri(&s) {
            prop_assert!(u.fragment().is_none() && u.username().is_empty() && u.password().is_none(), "{}", s);
            let web = matches!(u.scheme(), "http" | "https");
            prop_assert!(web || (u.scheme().contains('.') && !u.scheme().ends_with('.')), "{}", s);
            prop_assert!(redirect_uri_matches(&s, &s, LoopbackPorts::Exact));
            prop_assert!(redirect_uri_matches(&s, &s, LoopbackPorts::Any));
        }
    }

    #[test]
    fn canonical_resource_is_idempotent(s in any_url_input()) {
        if let Ok(c) = canonical_resource(&s) {
            prop_assert_eq!(canonical_resource(&c), Ok(c.clone()), "from {:?}", s);
            prop_assert!(!c.ends_with('/') && !c.contains('?') && !c.contains('#'), "{}", c);
            prop_assert!(validate_redirect_uri(&c).is_ok(), "{}", c);
        }
    }

    #[test]
    fn redirect_uris_differing_in_scheme_host_path_or_query_never_match(a in parts(), b in parts()) {
        let (reg, req) = (build(&a), build(&b));
        // Web clients: nothing but the identical string.
        prop_assert_eq!(redirect_uri_matches(&reg, &req, LoopbackPorts::Exact), reg == req, "{} vs {}", reg, req);
        let matched = redirect_uri_matches(&reg, &req, LoopbackPorts::Any);
        let (same_scheme, same_host) = (a.0 == b.0, a.1 == b.1);
        if !(same_scheme && same_host && a.3 == b.3 && a.4 == b.4) {
            prop_assert!(!matched, "{} matched {}", reg, req);
        } else if a.2 == b.2 {
            prop_assert!(matched, "{} did not match itself", reg);
        } else {
            // Only the port differs: allowed for native apps on a loopback IP literal over http
            // (RFC 8252 §7.3), nowhere else (`localhost` included).
            let parsed = Url::parse(&reg).expect("built url");
            let ip_literal = matches!(parsed.host(), Some(Host::Ipv4(_) | Host::Ipv6(_)));
            let loopback_http = a.0 == "http" && ip_literal && is_loopback(&parsed);
            prop_assert_eq!(matched, loopback_http, "{} vs {}", reg, req);
        }
    }

    #[test]
    fn a_match_never_widens_beyond_the_port(reg in any_url_input(), req in any_url_input()) {
        prop_assert_eq!(redirect_uri_matches(&reg, &req, LoopbackPorts::Exact), reg == req);
        if reg != req && redirect_uri_matches(&reg, &req, LoopbackPorts::Any) {
            let (r, q) = (Url::parse(&reg).expect("parsed"), Url::parse(&req).expect("parsed"));
            prop_assert!(matches!(q.host(), Some(Host::Ipv4(_) | Host::Ipv6(_))), "{}", req);
            prop_assert!(r.scheme() == "http" && q.scheme() == "http" && is_loopback(&q));
            prop_assert_eq!((r.host_str(), r.path(), r.query()), (q.host_str(), q.path(), q.query()));
            prop_assert!(q.fragment().is_none() && q.username().is_empty() && q.password().is_none());
            prop_assert_eq!(q.as_str(), req.as_str());
        }
    }

    /// RFC 8707: a resource with or without one trailing slash is one resource; any other change
    /// of its path, a query, a fragment, or another origin names something else.
    #[test]
    fn only_a_trailing_slash_is_ignored_in_a_resource(p in parts(), other in parts(), suffix in "[a-z0-9/]{1,4}") {
        let p: Parts = (p.0, p.1, p.2, p.3, None);
        let base = build(&p).trim_end_matches('/').to_owned();
        // http on a host that is not loopback is no resource at all.
        let Ok(rs) = canonical_resource(&base) else { return Ok(()) };
        prop_assert!(names_resource(&base, &rs));
        let slashed = format!("{base}/");
        prop_assert!(names_resource(&slashed, &rs));
        let longer = format!("{base}{suffix}");
        prop_assert_eq!(names_resource(&longer, &rs), suffix == "/", "{}", longer);
        let (query, fragment) = (format!("{base}?a=b"), format!("{base}/#f"));
        prop_assert!(!names_resource(&query, &rs) && !names_resource(&fragment, &rs));
        let other: Parts = (other.0, other.1, other.2, other.3, None);
        if canonical_resource(&build(&other)).is_ok_and(|o| o != rs) {
            let (other, other_slashed) = (build(&other), format!("{}/", build(&other)));
            prop_assert!(!names_resource(&other, &rs) && !names_resource(&other_slashed, &rs));
        }
    }
}
