use super::*;

fn u(s: &str) -> Url {
    Url::parse(s).expect("test url")
}

#[test]
fn redirect_uri_rules() {
    assert!(validate_redirect_uri("https://app.example/cb").is_ok());
    assert!(validate_redirect_uri("http://127.0.0.1:8080/callback").is_ok());
    assert!(validate_redirect_uri("http://localhost/callback").is_ok());
    assert!(validate_redirect_uri("http://[::1]:3000/cb").is_ok());
    assert_eq!(validate_redirect_uri("/callback"), Err(UrlError::NotAbsolute));
    assert_eq!(validate_redirect_uri("http://app.example/cb"), Err(UrlError::HttpNotLoopback));
    assert_eq!(validate_redirect_uri("https://app.example/cb#x"), Err(UrlError::HasFragment));
    assert_eq!(validate_redirect_uri("javascript:alert(1)"), Err(UrlError::BadScheme));
    assert_eq!(validate_redirect_uri("ftp://127.0.0.1/cb"), Err(UrlError::BadScheme));
    assert_eq!(validate_redirect_uri("https://u:p@app.example/cb"), Err(UrlError::HasCredentials));
}

#[test]
fn native_redirect_uri_rules() {
    assert!(validate_native_redirect_uri("com.example.app:/oauth2redirect").is_ok());
    assert!(validate_native_redirect_uri("com.example.app://callback").is_ok());
    assert!(validate_native_redirect_uri("http://127.0.0.1:53111/callback").is_ok());
    assert!(validate_native_redirect_uri("http://[::1]/cb").is_ok());
    assert!(validate_native_redirect_uri("http://localhost:1234/cb").is_ok());
    assert!(validate_native_redirect_uri("https://app.example/cb").is_ok());
    assert_eq!(validate_native_redirect_uri("myapp:/cb"), Err(UrlError::SchemeNotReverseDomain));
    assert_eq!(validate_native_redirect_uri("javascript:alert(1)"), Err(UrlError::SchemeNotReverseDomain));
    assert_eq!(validate_native_redirect_uri("http://app.example/cb"), Err(UrlError::HttpNotLoopback));
    assert_eq!(validate_native_redirect_uri("com.example.app:/cb#f"), Err(UrlError::HasFragment));
    assert_eq!(validate_native_redirect_uri("com.example.app://u:p@h/cb"), Err(UrlError::HasCredentials));
    assert_eq!(validate_native_redirect_uri("/cb"), Err(UrlError::NotAbsolute));
    // The web rules refuse private-use schemes.
    assert_eq!(validate_redirect_uri("com.example.app:/cb"), Err(UrlError::BadScheme));
}

#[test]
fn loopback_redirects_match_on_any_port_only() {
    let any = LoopbackPorts::Any;
    let reg = "http://127.0.0.1:8080/callback";
    assert!(redirect_uri_matches(reg, reg, any));
    assert!(redirect_uri_matches(reg, "http://127.0.0.1:53111/callback", any));
    assert!(redirect_uri_matches(reg, "http://127.0.0.1/callback", any));
    assert!(redirect_uri_matches("http://[::1]:1/cb", "http://[::1]:2/cb", any));
    assert!(!redirect_uri_matches(reg, "http://localhost:8080/callback", any), "host must be the same");
    assert!(!redirect_uri_matches(reg, "http://127.0.0.1:8080/callback/", any));
    assert!(!redirect_uri_matches(reg, "http://127.0.0.1:8080/callback?x=1", any));
    assert!(!redirect_uri_matches(reg, "http://127.0.0.1:8080/callback#f", any));
    assert!(!redirect_uri_matches(reg, "http://u@127.0.0.1:8080/callback", any));
    assert!(!redirect_uri_matches(reg, "https://127.0.0.1:8080/callback", any));
    assert!(!redirect_uri_matches(reg, "http://127.0.0.1:8080/%63allback", any), "no normalisation tricks");
    // `localhost` is a name, not a loopback IP literal: exact only, even for native apps.
    assert!(redirect_uri_matches("http://localhost:9999/cb", "http://localhost:9999/cb", any));
    assert!(!redirect_uri_matches("http://localhost/cb", "http://localhost:9999/cb", any));
    // Not loopback: exact only.
    assert!(redirect_uri_matches("https://app.example/cb", "https://app.example/cb", any));
    assert!(!redirect_uri_matches("https://app.example/cb", "https://app.example:444/cb", any));
}

#[test]
fn web_clients_match_exactly_even_on_loopback() {
    let exact = LoopbackPorts::Exact;
    let reg = "http://127.0.0.1:3000/cb";
    assert!(redirect_uri_matches(reg, reg, exact));
    assert!(!redirect_uri_matches(reg, "http://127.0.0.1:4000/cb", exact));
    assert!(!redirect_uri_matches(reg, "http://127.0.0.1/cb", exact));
}

#[test]
fn native_apps_are_declared_or_loopback_only() {
    let uris = |l: &'static [&'static str]| l.iter().copied();
    let web_and_loopback = &["https://app.example/cb", "http://127.0.0.1:3000/cb"];
    assert_eq!(LoopbackPorts::for_client("web", uris(web_and_loopback)), LoopbackPorts::Exact);
    assert_eq!(LoopbackPorts::for_client("native", uris(web_and_loopback)), LoopbackPorts::Any);
    assert_eq!(LoopbackPorts::for_client("native", uris(&["com.example.app:/cb"])), LoopbackPorts::Any);
    let loopback_only = &["http://127.0.0.1:3000/cb", "http://[::1]/cb", "http://localhost/cb"];
    assert_eq!(LoopbackPorts::for_client("web", uris(loopback_only)), LoopbackPorts::Any);
    assert_eq!(LoopbackPorts::for_client("web", uris(&["https://app.example/cb"])), LoopbackPorts::Exact);
}

#[test]
fn canonical_resource_forms() {
    assert_eq!(canonical_resource("HTTPS://RS.Example:443/mcp/").as_deref(), Ok("https://rs.example/mcp"));
    assert_eq!(canonical_resource("http://127.0.0.1:8000/mcp").as_deref(), Ok("http://127.0.0.1:8000/mcp"));
    assert_eq!(canonical_resource("https://rs.example/").as_deref(), Ok("https://rs.example"));
    assert!(canonical_resource("https://rs.example/mcp#frag").is_err());
}

#[test]
fn a_trailing_slash_names_the_same_resource_and_nothing_else_does() {
    let rs = "http://127.0.0.1:8000/mcp";
    for same in [rs, "http://127.0.0.1:8000/mcp/", "HTTP://127.0.0.1:8000/mcp/", "http://127.0.0.1:8000/x/../mcp"] {
        assert!(names_resource(same, rs), "{same}");
    }
    for other in [
        "http://127.0.0.1:8000/mcp2",
        "http://127.0.0.1:8000/mcp/x",
        "http://127.0.0.1:8000/mcp//",
        "http://127.0.0.1:8000/MCP",
        "http://127.0.0.1:8001/mcp",
        "http://localhost:8000/mcp",
        "http://127.0.0.1:8000/mcp#x",
        "http://127.0.0.1:8000/mcp/#",
        "http://127.0.0.1:8000/mcp?x=1",
        "http://127.0.0.1:8000/mcp/?",
        "http://127.0.0.1:8000",
        "/mcp",
    ] {
        assert!(!names_resource(other, rs), "{other}");
    }
    assert!(names_resource("https://rs.example/", "https://rs.example"), "a resource at the root");
}

#[test]
fn well_known_urls() {
    assert_eq!(
        protected_resource_metadata_url(&u("https://rs.example/mcp")),
        "https://rs.example/.well-known/oauth-protected-resource/mcp"
    );
    assert_eq!(
        protected_resource_metadata_url(&u("http://127.0.0.1:8000")),
        "http://127.0.0.1:8000/.well-known/oauth-protected-resource"
    );
    assert_eq!(
        authorization_server_metadata_url(&u("https://as.example/tenant1")),
        "https://as.example/.well-known/oauth-authorization-server/tenant1"
    );
    assert_eq!(
        authorization_server_metadata_url(&u("http://127.0.0.1:9000/")),
        "http://127.0.0.1:9000/.well-known/oauth-authorization-server"
    );
}
