//! `Deserialize` for the OAuth documents the client reads, through [`crate::fields::Fields`]:
//! the same members, defaults and type checks as the derive would give, with less code in the
//! SPA (see `fields`).

use serde::{Deserialize, Deserializer};

use super::{
    default_grant_types, AuthorizationServerMetadata, ClientRegistrationResponse, OAuthErrorBody,
    ProtectedResourceMetadata, TokenResponse,
};
use crate::fields::Fields;

impl<'de> Deserialize<'de> for AuthorizationServerMetadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut f = Fields::deserialize(d)?;
        let record = Self {
            issuer: f.string("issuer"),
            authorization_endpoint: f.string("authorization_endpoint"),
            token_endpoint: f.string("token_endpoint"),
            registration_endpoint: f.opt_string("registration_endpoint"),
            introspection_endpoint: f.opt_string("introspection_endpoint"),
            revocation_endpoint: f.opt_string("revocation_endpoint"),
            jwks_uri: f.opt_string("jwks_uri"),
            revocation_endpoint_auth_methods_supported: f
                .strings_or_empty("revocation_endpoint_auth_methods_supported"),
            scopes_supported: f.strings_or_empty("scopes_supported"),
            response_types_supported: f.strings("response_types_supported"),
            response_modes_supported: f.strings_or_empty("response_modes_supported"),
            grant_types_supported: f.strings_or_empty("grant_types_supported"),
            token_endpoint_auth_methods_supported: f.strings_or_empty("token_endpoint_auth_methods_supported"),
            introspection_endpoint_auth_methods_supported: f
                .strings_or_empty("introspection_endpoint_auth_methods_supported"),
            code_challenge_methods_supported: f.strings_or_empty("code_challenge_methods_supported"),
            authorization_response_iss_parameter_supported: f.flag("authorization_response_iss_parameter_supported"),
            client_id_metadata_document_supported: f.flag("client_id_metadata_document_supported"),
        };
        f.finish(record)
    }
}

impl<'de> Deserialize<'de> for ProtectedResourceMetadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut f = Fields::deserialize(d)?;
        let record = Self {
            resource: f.string("resource"),
            authorization_servers: f.strings_or_empty("authorization_servers"),
            scopes_supported: f.strings_or_empty("scopes_supported"),
            bearer_methods_supported: f.strings_or_empty("bearer_methods_supported"),
            resource_name: f.opt_string("resource_name"),
        };
        f.finish(record)
    }
}

impl<'de> Deserialize<'de> for ClientRegistrationResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut f = Fields::deserialize(d)?;
        let record = Self {
            client_id: f.string("client_id"),
            client_id_issued_at: f.opt_i64("client_id_issued_at"),
            client_secret: f.opt_string("client_secret"),
            client_secret_expires_at: f.opt_i64("client_secret_expires_at"),
            redirect_uris: f.strings_or_empty("redirect_uris"),
            client_name: f.opt_string("client_name"),
            client_uri: f.opt_string("client_uri"),
            grant_types: f.strings_or("grant_types", default_grant_types),
            response_types: f.strings_or_empty("response_types"),
            token_endpoint_auth_method: f.string_or_empty("token_endpoint_auth_method"),
            scope: f.opt_string("scope"),
            application_type: f.opt_string("application_type"),
        };
        f.finish(record)
    }
}

impl<'de> Deserialize<'de> for TokenResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut f = Fields::deserialize(d)?;
        let record = Self {
            access_token: f.string("access_token"),
            token_type: f.string("token_type"),
            expires_in: f.u64("expires_in"),
            scope: f.opt_string("scope"),
            refresh_token: f.opt_string("refresh_token"),
        };
        f.finish(record)
    }
}

impl<'de> Deserialize<'de> for OAuthErrorBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut f = Fields::deserialize(d)?;
        let record = Self { error: f.string("error"), error_description: f.opt_string("error_description") };
        f.finish(record)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::AuthorizationServerMetadata;

    /// What `#[derive(Deserialize)]` made of the AS metadata before `read`: the reference.
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct DerivedAsm {
        issuer: String,
        authorization_endpoint: String,
        token_endpoint: String,
        #[serde(default)]
        registration_endpoint: Option<String>,
        #[serde(default)]
        revocation_endpoint: Option<String>,
        response_types_supported: Vec<String>,
        #[serde(default)]
        scopes_supported: Vec<String>,
        #[serde(default)]
        code_challenge_methods_supported: Vec<String>,
        #[serde(default)]
        authorization_response_iss_parameter_supported: bool,
    }

    const BASE: &str = r#""issuer":"https://as","authorization_endpoint":"https://as/a","token_endpoint":"https://as/t","response_types_supported":["code"]"#;

    #[test]
    fn the_as_metadata_reader_accepts_and_refuses_what_the_derive_did() {
        let cases = [
            format!("{{{BASE}}}"),
            format!(r#"{{{BASE},"registration_endpoint":null,"scopes_supported":["a","b"],"x":[1]}}"#),
            format!(
                r#"{{{BASE},"code_challenge_methods_supported":["S256"],"authorization_response_iss_parameter_supported":true}}"#
            ),
            format!(r#"{{{BASE},"issuer":"https://evil"}}"#),
            format!(r#"{{{BASE},"scopes_supported":null}}"#),
            format!(r#"{{{BASE},"code_challenge_methods_supported":"S256"}}"#),
            format!(r#"{{{BASE},"code_challenge_methods_supported":["S256",1]}}"#),
            format!(r#"{{{BASE},"authorization_response_iss_parameter_supported":"true"}}"#),
            format!(r#"{{{BASE},"revocation_endpoint":5}}"#),
            r#"{"issuer":"https://as","authorization_endpoint":"https://as/a","token_endpoint":"https://as/t"}"#
                .to_owned(),
            r#"{"issuer":null,"authorization_endpoint":"a","token_endpoint":"t","response_types_supported":[]}"#
                .to_owned(),
            "[]".to_owned(),
        ];
        for json in &cases {
            let ours = serde_json::from_str::<AuthorizationServerMetadata>(json);
            let derived = serde_json::from_str::<DerivedAsm>(json);
            assert_eq!(ours.is_ok(), derived.is_ok(), "{json}: ours {:?}", ours.err());
            if let (Ok(ours), Ok(derived)) = (ours, derived) {
                assert_eq!(ours.issuer, derived.issuer);
                assert_eq!(ours.registration_endpoint, derived.registration_endpoint);
                assert_eq!(ours.scopes_supported, derived.scopes_supported);
                assert_eq!(ours.code_challenge_methods_supported, derived.code_challenge_methods_supported);
                assert_eq!(
                    ours.authorization_response_iss_parameter_supported,
                    derived.authorization_response_iss_parameter_supported
                );
            }
        }
    }

    /// Both readers accept `json` and read the same thing, or both refuse it.
    fn agree<A: serde::de::DeserializeOwned + serde::Serialize, B: serde::de::DeserializeOwned + serde::Serialize>(
        json: &str,
    ) {
        match (serde_json::from_str::<A>(json), serde_json::from_str::<B>(json)) {
            (Ok(a), Ok(b)) => assert_eq!(serde_json::to_value(a).ok(), serde_json::to_value(b).ok(), "{json}"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{json}: ours ok {}, derived ok {}", a.is_ok(), b.is_ok()),
        }
    }

    /// The derived twins of the other documents (as they were before `read`).
    mod derived {
        use serde::{Deserialize, Serialize};

        #[derive(Serialize, Deserialize)]
        pub struct Prm {
            pub resource: String,
            #[serde(default)]
            pub authorization_servers: Vec<String>,
            #[serde(default)]
            pub scopes_supported: Vec<String>,
            #[serde(default)]
            pub bearer_methods_supported: Vec<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub resource_name: Option<String>,
        }

        #[derive(Serialize, Deserialize)]
        pub struct Registered {
            pub client_id: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub client_id_issued_at: Option<i64>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub client_secret: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub client_secret_expires_at: Option<i64>,
            #[serde(default)]
            pub redirect_uris: Vec<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub client_name: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub client_uri: Option<String>,
            #[serde(default = "super::super::default_grant_types")]
            pub grant_types: Vec<String>,
            #[serde(default)]
            pub response_types: Vec<String>,
            #[serde(default)]
            pub token_endpoint_auth_method: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub scope: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub application_type: Option<String>,
        }

        #[derive(Serialize, Deserialize)]
        pub struct Token {
            pub access_token: String,
            pub token_type: String,
            pub expires_in: u64,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub scope: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub refresh_token: Option<String>,
        }

        #[derive(Serialize, Deserialize)]
        pub struct OAuthError {
            pub error: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub error_description: Option<String>,
        }
    }

    #[test]
    fn the_other_documents_read_as_the_derive_read_them() {
        use super::{ClientRegistrationResponse, OAuthErrorBody, ProtectedResourceMetadata, TokenResponse};
        for json in [
            r#"{"resource":"https://rs/mcp"}"#,
            r#"{"resource":"https://rs/mcp","authorization_servers":["https://as"],"resource_name":null,"x":1}"#,
            r#"{"resource":"https://rs/mcp","authorization_servers":null}"#,
            r#"{"resource":"https://rs/mcp","authorization_servers":"https://as"}"#,
            r#"{"resource":"https://rs/mcp","resource":"https://evil/mcp"}"#,
            r#"{"authorization_servers":[]}"#,
        ] {
            agree::<ProtectedResourceMetadata, derived::Prm>(json);
        }
        for json in [
            r#"{"client_id":"c1"}"#,
            r#"{"client_id":"c1","client_id_issued_at":1,"client_secret":"s","grant_types":["refresh_token"],"token_endpoint_auth_method":"none","scope":null}"#,
            r#"{"client_id":"c1","grant_types":null}"#,
            r#"{"client_id":"c1","token_endpoint_auth_method":null}"#,
            r#"{"client_id":"c1","client_id_issued_at":1.5}"#,
            r#"{"client_id":"c1","client_id_issued_at":"1"}"#,
            r#"{"client_id":7}"#,
            r#"{"client_id_issued_at":1}"#,
        ] {
            agree::<ClientRegistrationResponse, derived::Registered>(json);
        }
        for json in [
            r#"{"access_token":"a","token_type":"Bearer","expires_in":60}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":60,"scope":"x","refresh_token":null}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#,
            r#"{"access_token":"a","token_type":"Bearer","expires_in":"60"}"#,
            r#"{"access_token":"a","token_type":"Bearer"}"#,
        ] {
            agree::<TokenResponse, derived::Token>(json);
        }
        for json in
            [r#"{"error":"invalid_grant"}"#, r#"{"error":"x","error_description":"d"}"#, r#"{"error":null}"#, "{}"]
        {
            agree::<OAuthErrorBody, derived::OAuthError>(json);
        }
    }
}
