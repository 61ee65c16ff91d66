//! Plain tests of what the properties found, so each stays fixed without a property run.

use reqwest::StatusCode;
use serde_json::json;

use super::description_chars_ok;
use crate::common::{assert_oauth_error, spawn_app};

/// Found by `token_endpoint_refuses_arbitrary_requests_in_rfc_shape`: descriptions quoted the
/// client's input with `"`, which RFC 6749 §5.2 does not allow in `error_description`.
#[tokio::test]
async fn error_descriptions_quoting_the_request_keep_to_the_rfc_character_set() {
    let app = spawn_app().await;
    let resp = app.token(&[("grant_type", "authorization_code"), ("grant_type", "x")]).await;
    let description = assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(description, "parameter 'grant_type' was sent more than once");

    let resp = app.register(json!("https://app.example.com/cb \\ é")).await;
    let description = assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    // serde writes the backslash escaped (two characters), each one a `?` now.
    assert!(description.contains("'https://app.example.com/cb ?? ?'"), "{description}");
    assert!(description_chars_ok(&description), "{description}");
}
