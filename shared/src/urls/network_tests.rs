//! The rule for URLs the client learns from the network ([`validate_network_url`]) and the
//! documents that carry them ([`NetworkUrls`]).

use super::*;
use crate::challenge::BearerChallenge;

fn refused(raw: &str) -> UrlError {
    match validate_network_url(raw) {
        Ok(url) => panic!("{raw:?} was accepted as {url}"),
        Err(e) => e,
    }
}

#[test]
fn https_anywhere_and_http_on_loopback_are_accepted() {
    for ok in [
        "https://as.example/authorize",
        "https://as.example:8443/oauth/token?tenant=a",
        "HTTPS://AS.Example/authorize",
        "https://xn--mnchen-3ya.example/",
        "http://127.0.0.1:1/x",
        "http://127.0.0.1/",
        "http://127.255.255.254:9000/authorize",
        "http://127.1/", // the parser reads it as 127.0.0.1
        "http://[::1]/",
        "http://[::1]:8080/mcp",
        "http://localhost/",
        "http://LOCALHOST:3000/cb",
    ] {
        assert!(validate_network_url(ok).is_ok(), "{ok:?} should be accepted");
    }
}

#[test]
fn script_and_other_schemes_are_refused() {
    for bad in [
        "javascript:alert(1)",
        "javascript:fetch('http://127.0.0.1:1/stolen?'+encodeURIComponent(JSON.stringify(sessionStorage)))//",
        "JAVASCRIPT:alert(1)",
        "JaVaScRiPt:alert(1)",
        "javascript://as.example/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "blob:https://as.example/0b5e",
        "about:blank",
        "ftp://127.0.0.1/x",
        "ws://127.0.0.1/x",
        "wss://as.example/x",
        "com.example.app:/callback",
    ] {
        assert_eq!(refused(bad), UrlError::BadScheme, "{bad:?}");
    }
}

#[test]
fn whitespace_control_characters_and_backslashes_are_refused_not_stripped() {
    for bad in [
        " javascript:alert(1)",
        "\tjavascript:alert(1)",
        "\u{0}javascript:alert(1)",
        "\u{1f}javascript:alert(1)",
        "\njavascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "java\rscript:alert(1)",
        "\u{a0}javascript:alert(1)",
        " https://as.example/authorize",
        "https://as.example/authorize ",
        "https://as.example/author ize",
        "\u{7f}https://as.example/",
        "https:\\\\as.example\\authorize",
        "http://127.0.0.1\\@evil.example/",
        "https://as.example/\u{2028}",
    ] {
        assert_eq!(refused(bad), UrlError::UnsafeCharacters, "{bad:?}");
    }
}

#[test]
fn plain_http_to_other_hosts_is_refused() {
    for bad in [
        "http://evil.example/",
        "http://evil.example:80/authorize",
        "HTTP://EVIL.EXAMPLE/",
        // userinfo that looks like a loopback host: the host is evil.example
        "http://127.0.0.1@evil.example/",
        "http://localhost:8080@evil.example/",
        "http://127.0.0.1.evil.example/",
        "http://localhost.evil.example/",
        // RFC 6761 lets resolvers treat `localhost.` as loopback; only the exact name is trusted.
        "http://localhost./",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
    ] {
        assert_eq!(refused(bad), UrlError::HttpNotLoopback, "{bad:?}");
    }
}

#[test]
fn relative_and_malformed_urls_are_refused() {
    for bad in [
        "",
        "/authorize",
        "//evil.example/authorize",
        "as.example/authorize",
        "https://",
        "http://[::1",
        "https://:443/",
    ] {
        assert_eq!(refused(bad), UrlError::NotAbsolute, "{bad:?}");
    }
}

#[test]
fn fragments_and_credentials_are_refused() {
    assert_eq!(refused("https://as.example/authorize#x"), UrlError::HasFragment);
    assert_eq!(refused("http://127.0.0.1:1/x#"), UrlError::HasFragment);
    assert_eq!(refused("https://user@as.example/"), UrlError::HasCredentials);
    assert_eq!(refused("https://user:pass@as.example/"), UrlError::HasCredentials);
    assert_eq!(refused("http://evil.example@127.0.0.1/"), UrlError::HasCredentials);
}

fn metadata(issuer: &str) -> AuthorizationServerMetadata {
    AuthorizationServerMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint: format!("{issuer}/authorize"),
        token_endpoint: format!("{issuer}/token"),
        registration_endpoint: Some(format!("{issuer}/register")),
        introspection_endpoint: Some(format!("{issuer}/introspect")),
        revocation_endpoint: Some(format!("{issuer}/revoke")),
        jwks_uri: Some(format!("{issuer}/jwks")),
        revocation_endpoint_auth_methods_supported: Vec::new(),
        scopes_supported: Vec::new(),
        response_types_supported: vec!["code".to_owned()],
        response_modes_supported: Vec::new(),
        grant_types_supported: Vec::new(),
        token_endpoint_auth_methods_supported: Vec::new(),
        introspection_endpoint_auth_methods_supported: Vec::new(),
        code_challenge_methods_supported: vec!["S256".to_owned()],
        authorization_response_iss_parameter_supported: true,
        client_id_metadata_document_supported: false,
    }
}

#[test]
fn every_url_field_of_the_server_metadata_is_checked() {
    assert_eq!(metadata("https://as.example").check_network_urls(), Ok(()));
    assert_eq!(metadata("http://127.0.0.1:9000").check_network_urls(), Ok(()));
    assert_eq!(metadata("http://127.0.0.1:9000").network_urls().len(), 7);
    let evil = "javascript:alert(document.domain)//";
    type Setter = fn(&mut AuthorizationServerMetadata, String);
    let cases: [(&str, Setter); 7] = [
        ("issuer", |m, u| m.issuer = u),
        ("authorization_endpoint", |m, u| m.authorization_endpoint = u),
        ("token_endpoint", |m, u| m.token_endpoint = u),
        ("registration_endpoint", |m, u| m.registration_endpoint = Some(u)),
        ("introspection_endpoint", |m, u| m.introspection_endpoint = Some(u)),
        ("revocation_endpoint", |m, u| m.revocation_endpoint = Some(u)),
        ("jwks_uri", |m, u| m.jwks_uri = Some(u)),
    ];
    for (field, set) in cases {
        let mut m = metadata("https://as.example");
        set(&mut m, evil.to_owned());
        let refusal = m.check_network_urls().expect_err(field);
        assert_eq!(refusal, RefusedUrl { field: field.to_owned(), url: evil.to_owned(), reason: UrlError::BadScheme });
        assert!(refusal.to_string().contains(field) && refusal.to_string().contains(evil), "{refusal}");
    }
    let mut absent = metadata("https://as.example");
    absent.registration_endpoint = None;
    absent.revocation_endpoint = None;
    assert_eq!(absent.check_network_urls(), Ok(()));
}

#[test]
fn every_url_of_the_resource_metadata_and_the_challenge_is_checked() {
    let prm = |resource: &str, servers: &[&str]| ProtectedResourceMetadata {
        resource: resource.to_owned(),
        authorization_servers: servers.iter().map(|s| (*s).to_owned()).collect(),
        scopes_supported: Vec::new(),
        bearer_methods_supported: Vec::new(),
        resource_name: None,
    };
    assert_eq!(prm("http://127.0.0.1:8000/mcp", &["http://127.0.0.1:9000"]).check_network_urls(), Ok(()));
    let bad_resource = prm("data:text/html,x", &["https://as.example"]).check_network_urls().expect_err("data:");
    assert_eq!(bad_resource.field, "resource");
    let second = prm("https://rs.example/mcp", &["https://as.example", "http://evil.example"]);
    let refusal = second.check_network_urls().expect_err("http://evil.example");
    assert_eq!(
        refusal,
        RefusedUrl {
            field: "authorization_servers[1]".to_owned(),
            url: "http://evil.example".to_owned(),
            reason: UrlError::HttpNotLoopback,
        }
    );

    let challenge = |metadata: Option<&str>| BearerChallenge {
        resource_metadata: metadata.map(str::to_owned),
        ..BearerChallenge::default()
    };
    assert_eq!(challenge(None).check_network_urls(), Ok(()));
    assert_eq!(
        challenge(Some("https://rs.example/.well-known/oauth-protected-resource/mcp")).check_network_urls(),
        Ok(())
    );
    let refusal = challenge(Some(" javascript:alert(1)")).check_network_urls().expect_err("leading space");
    assert_eq!(refusal.field, "resource_metadata");
    assert_eq!(refusal.reason, UrlError::UnsafeCharacters);
}
