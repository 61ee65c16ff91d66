//! The normalised forms every rule relies on. They run natively (`url`); the browser build
//! must give the same answers, since both implement the WHATWG URL standard, and the SPA's
//! end-to-end specs go through it.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Host, Url};

fn u(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn scheme_and_host_are_lower_case_and_a_default_port_is_dropped() {
    let url = u("HTTPS://RS.Example:443/MCP/");
    assert_eq!(url.as_str(), "https://rs.example/MCP/");
    assert_eq!((url.scheme(), url.host(), url.port()), ("https", Some(Host::Domain("rs.example")), None));
    assert_eq!(url.origin(), "https://rs.example");
    assert_eq!(u("http://localhost:80/").as_str(), "http://localhost/");
    assert_eq!(u("http://localhost:8080/").port(), Some(8080));
}

#[test]
fn ip_hosts_are_normalised_and_recognised() {
    let v4 = u("http://127.1:8000/mcp");
    assert_eq!(v4.as_str(), "http://127.0.0.1:8000/mcp");
    assert_eq!(v4.host(), Some(Host::Ipv4(Ipv4Addr::LOCALHOST)));
    let v6 = u("http://[0:0::1]/");
    assert_eq!((v6.host_str(), v6.origin().as_str()), (Some("[::1]"), "http://[::1]"));
    assert_eq!(v6.host(), Some(Host::Ipv6(Ipv6Addr::LOCALHOST)));
    // Only special schemes have IPv4 hosts; others keep an opaque name.
    assert_eq!(u("foo://127.0.0.1/").host(), Some(Host::Domain("127.0.0.1")));
    assert_eq!(u("https://例え.jp/").host_str(), Some("xn--r8jz45g.jp"));
}

#[test]
fn paths_queries_and_fragments_keep_their_encoding_and_emptiness() {
    assert_eq!(u("https://a.example/b c/%2F").path(), "/b%20c/%2F");
    assert_eq!(u("https://a.example").path(), "/");
    let bare = u("https://a.example/p?#");
    assert_eq!((bare.query(), bare.fragment()), (Some(""), Some("")));
    let none = u("https://a.example/p");
    assert_eq!((none.query(), none.fragment()), (None, None));
    let q = u("https://a.example/p?a=1&b=x+y#f?g");
    assert_eq!((q.query(), q.fragment()), (Some("a=1&b=x+y"), Some("f?g")));
    assert_eq!(q.query_pairs().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(), ["a=1", "b=x y"]);
}

#[test]
fn credentials_and_opaque_origins() {
    let creds = u("https://user:@a.example/");
    assert_eq!((creds.username(), creds.password()), ("user", None));
    let private_use = u("com.example.app:/cb");
    assert_eq!((private_use.host(), private_use.origin().as_str()), (None, "null"));
    assert!(!private_use.same_origin(&private_use), "an opaque origin is never the same");
    assert!(u("https://a.example/x").same_origin(&u("HTTPS://A.example:443/y")));
    assert!(!u("https://a.example/").same_origin(&u("http://a.example/")));
}

#[test]
fn query_pairs_are_appended_and_the_fragment_kept() {
    let mut url = u("https://as.example/authorize?tenant=1#f");
    url.append_query_pairs([("redirect_uri", "http://127.0.0.1:1/cb"), ("scope", "a b")]);
    assert_eq!(
        url.as_str(),
        "https://as.example/authorize?tenant=1&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&scope=a+b#f"
    );
    let mut bare = u("https://as.example/authorize");
    bare.append_query_pairs([("a", "1")]);
    assert_eq!(bare.as_str(), "https://as.example/authorize?a=1");
    bare.set_query(None);
    assert_eq!(bare.as_str(), "https://as.example/authorize");
}

#[test]
fn relative_and_broken_urls_do_not_parse() {
    for bad in ["/mcp", "", "https://", "http://[::1/", "http://a b/", "https://a.example:65536/"] {
        assert!(Url::parse(bad).is_err(), "{bad}");
    }
}
