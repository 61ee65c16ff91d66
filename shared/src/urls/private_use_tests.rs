use super::*;

#[test]
fn only_allow_listed_well_formed_schemes_pass() {
    let allowed = vec!["cursor".to_owned()];
    assert!(validate_allow_listed_private_use("cursor://anysphere.cursor-mcp/oauth/callback", &allowed).is_ok());
    assert!(validate_allow_listed_private_use("CURSOR://anysphere.cursor-mcp/oauth/callback", &allowed).is_ok());
    for bad in [
        "vscode://callback",
        "cursor://x/cb#frag",
        "cursor://user:pw@x/cb",
        "cursor://x/c b",
        "javascript:alert(1)",
        "cursorx://x",
        "not a url",
    ] {
        assert!(validate_allow_listed_private_use(bad, &allowed).is_err(), "{bad}");
    }
    let dangerous = vec!["javascript".to_owned(), "data".to_owned(), "https".to_owned()];
    assert!(validate_allow_listed_private_use("javascript:alert(1)", &dangerous).is_err());
    assert!(validate_allow_listed_private_use("data:text/html,x", &dangerous).is_err());
    assert!(!is_allowable_private_use_scheme("JavaScript"));
    assert!(!is_allowable_private_use_scheme("1abc"));
    assert!(!is_allowable_private_use_scheme(""));
    assert!(is_allowable_private_use_scheme("com.example.app"));
}
