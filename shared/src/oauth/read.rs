//! `Deserialize` for the OAuth documents the client reads, through [`crate::fields::Fields`]:
//! the same members, defaults and type checks as the derive would give, with less code in the
//! SPA (see `fields`).

use serde::{Deserialize, Deserializer};

use super::AuthorizationServerMetadata;
use crate::fields::Fields;

impl<'de> Deserialize<'de> for AuthorizationServerMetadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut f = Fields::deserialize(d)?;
        Ok(Self {
            issuer: f.string("issuer")?,
            authorization_endpoint: f.string("authorization_endpoint")?,
            token_endpoint: f.string("token_endpoint")?,
            registration_endpoint: f.opt_string("registration_endpoint")?,
            introspection_endpoint: f.opt_string("introspection_endpoint")?,
            revocation_endpoint: f.opt_string("revocation_endpoint")?,
            jwks_uri: f.opt_string("jwks_uri")?,
            revocation_endpoint_auth_methods_supported: f
                .strings_or_empty("revocation_endpoint_auth_methods_supported")?,
            scopes_supported: f.strings_or_empty("scopes_supported")?,
            response_types_supported: f.strings("response_types_supported")?,
            response_modes_supported: f.strings_or_empty("response_modes_supported")?,
            grant_types_supported: f.strings_or_empty("grant_types_supported")?,
            token_endpoint_auth_methods_supported: f.strings_or_empty("token_endpoint_auth_methods_supported")?,
            introspection_endpoint_auth_methods_supported: f
                .strings_or_empty("introspection_endpoint_auth_methods_supported")?,
            code_challenge_methods_supported: f.strings_or_empty("code_challenge_methods_supported")?,
            authorization_response_iss_parameter_supported: f.flag("authorization_response_iss_parameter_supported")?,
            client_id_metadata_document_supported: f.flag("client_id_metadata_document_supported")?,
        })
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
}
