//! `Deserialize` for what front ends store between runs (a session, a client registration, a
//! login waiting for its callback), through `shared::fields::Fields`: the members, defaults and
//! type checks the derive gave, with one shared body of code in the SPA instead of a visitor
//! per struct. Each reader is a plain function of the members; nested records (the
//! credentials, a step's exchanges) are read by the same functions (written by `written`).

use serde::{Deserialize, Deserializer};
use shared::fields::Fields;

use crate::authorize::PendingAuthorization;
use crate::identity::{CredentialSource, Credentials};
use crate::step::{Step, StepStatus};
use crate::token::Session;
use crate::trace::Exchange;

pub(crate) const SOURCES: &[&str] = &["pre_registered", "metadata_document", "dynamic"];
pub(crate) const SOURCE_VALUES: [CredentialSource; 3] =
    [CredentialSource::PreRegistered, CredentialSource::MetadataDocument, CredentialSource::Dynamic];
const STATUSES: &[&str] = &["pending", "ok", "error"];
const STATUS_VALUES: [StepStatus; 3] = [StepStatus::Pending, StepStatus::Ok, StepStatus::Error];

impl Credentials {
    fn read(f: &mut Fields) -> Self {
        Self {
            issuer: f.string("issuer"),
            client_id: f.string("client_id"),
            client_secret: f.opt_string("client_secret"),
            token_endpoint_auth_method: f.string("token_endpoint_auth_method"),
            source: SOURCE_VALUES[f.choice("source", SOURCES)],
            redirect_uri: f.string("redirect_uri"),
            registration_endpoint: f.opt_string("registration_endpoint"),
            grant_types: f.strings_or_empty("grant_types"),
            scope: f.opt_string("scope"),
            issued_at: f.opt_i64("issued_at"),
        }
    }
}

impl<'de> Deserialize<'de> for Credentials {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Fields::read_with(d, Self::read)
    }
}

impl<'de> Deserialize<'de> for Session {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Fields::read_with(d, Self::read)
    }
}

impl Session {
    /// Reads a session from the members of an object (a front end's record may hold more).
    pub fn read(f: &mut Fields) -> Self {
        Self {
            access_token: f.string("access_token"),
            expires_at: f.i64("expires_at"),
            expires_in: f.opt_u64("expires_in"),
            refresh_token: f.opt_string("refresh_token"),
            scope: f.opt_string("scope"),
            mcp_url: f.string("mcp_url"),
            resource: f.string("resource"),
            issuer: f.string("issuer"),
            token_endpoint: f.string("token_endpoint"),
            revocation_endpoint: f.opt_string("revocation_endpoint"),
            credentials: f.record("credentials", Credentials::read),
        }
    }
}

impl<'de> Deserialize<'de> for PendingAuthorization {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Fields::read_with(d, Self::read)
    }
}

impl PendingAuthorization {
    /// Reads a pending authorization from the members of an object (see [`Session::read`]).
    pub fn read(f: &mut Fields) -> Self {
        Self {
            state: f.string("state"),
            code_verifier: f.string("code_verifier"),
            credentials: f.record("credentials", Credentials::read),
            issuer: f.string("issuer"),
            iss_required: f.boolean("iss_required"),
            token_endpoint: f.string("token_endpoint"),
            revocation_endpoint: f.opt_string("revocation_endpoint"),
            resource: f.string("resource"),
            mcp_url: f.string("mcp_url"),
            redirect_uri: f.string("redirect_uri"),
            scope: f.opt_string("scope"),
            authorization_url: f.string("authorization_url"),
        }
    }
}

impl Exchange {
    fn read(f: &mut Fields) -> Self {
        Self {
            method: f.string("method"),
            url: f.string("url"),
            status: f.opt_u16("status"),
            request_headers: f.pairs_or_empty("request_headers"),
            request_body: f.opt_string("request_body"),
            response_headers: f.pairs_or_empty("response_headers"),
            response_body: f.opt_string("response_body"),
            error: f.opt_string("error"),
        }
    }
}

impl<'de> Deserialize<'de> for Exchange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Fields::read_with(d, Self::read)
    }
}

/// A timeline step (the SPA keeps the login's timeline across the redirect).
impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Fields::read_with(d, Self::read)
    }
}

impl Step {
    /// Reads a step from the members of an object (e.g. one of [`Fields::records`]).
    pub fn read(f: &mut Fields) -> Self {
        Self {
            id: f.string("id"),
            title: f.string("title"),
            status: STATUS_VALUES[f.choice("status", STATUSES)],
            detail: f.string("detail"),
            exchanges: f.records("exchanges", Exchange::read),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;
    use serde::Serialize;

    use super::{Credentials, PendingAuthorization, Session, Step};

    /// The derived twins (as the types were before `stored`): the reference.
    mod derived {
        use serde::{Deserialize, Serialize};

        #[derive(Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Source {
            PreRegistered,
            MetadataDocument,
            Dynamic,
        }

        #[derive(Serialize, Deserialize)]
        pub struct Credentials {
            pub issuer: String,
            pub client_id: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub client_secret: Option<String>,
            pub token_endpoint_auth_method: String,
            pub source: Source,
            pub redirect_uri: String,
            #[serde(default)]
            pub registration_endpoint: Option<String>,
            #[serde(default)]
            pub grant_types: Vec<String>,
            #[serde(default)]
            pub scope: Option<String>,
            #[serde(default)]
            pub issued_at: Option<i64>,
        }

        #[derive(Serialize, Deserialize)]
        pub struct Session {
            pub access_token: String,
            pub expires_at: i64,
            #[serde(default)]
            pub expires_in: Option<u64>,
            #[serde(default)]
            pub refresh_token: Option<String>,
            #[serde(default)]
            pub scope: Option<String>,
            pub mcp_url: String,
            pub resource: String,
            pub issuer: String,
            pub token_endpoint: String,
            #[serde(default)]
            pub revocation_endpoint: Option<String>,
            pub credentials: Credentials,
        }

        #[derive(Serialize, Deserialize)]
        pub struct Pending {
            pub state: String,
            pub code_verifier: String,
            pub credentials: Credentials,
            pub issuer: String,
            pub iss_required: bool,
            pub token_endpoint: String,
            #[serde(default)]
            pub revocation_endpoint: Option<String>,
            pub resource: String,
            pub mcp_url: String,
            pub redirect_uri: String,
            pub scope: Option<String>,
            pub authorization_url: String,
        }
    }

    pub mod timeline {
        use serde::{Deserialize, Serialize};

        #[derive(Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum Status {
            Pending,
            Ok,
            Error,
        }

        #[derive(Serialize, Deserialize)]
        pub struct Exchange {
            pub method: String,
            pub url: String,
            #[serde(default)]
            pub status: Option<u16>,
            #[serde(default)]
            pub request_headers: Vec<(String, String)>,
            #[serde(default)]
            pub request_body: Option<String>,
            #[serde(default)]
            pub response_headers: Vec<(String, String)>,
            #[serde(default)]
            pub response_body: Option<String>,
            #[serde(default)]
            pub error: Option<String>,
        }

        #[derive(Serialize, Deserialize)]
        pub struct Step {
            pub id: String,
            pub title: String,
            pub status: Status,
            pub detail: String,
            #[serde(default)]
            pub exchanges: Vec<Exchange>,
        }
    }

    #[test]
    fn timeline_steps_read_as_the_derive_read_them() {
        const STEP: &str = r#"{"id":"prm","title":"t","status":"ok","detail":"d"}"#;
        const EX: &str = r#"{"method":"GET","url":"https://h/x"}"#;
        for json in [
            STEP.to_owned(),
            STEP.replace("\"ok\"", "\"pending\""),
            STEP.replace("\"ok\"", "\"error\""),
            STEP.replace("\"ok\"", "\"Ok\""),
            STEP.replace(r#","detail":"d""#, ""),
            with(STEP, r#""exchanges":null"#),
            with(STEP, r#""exchanges":[1]"#),
            with(STEP, &format!(r#""exchanges":[{EX}]"#)),
            with(
                STEP,
                &format!(
                    r#""exchanges":[{}]"#,
                    with(
                        EX,
                        r#""status":200,"request_headers":[["accept","x"]],"response_headers":[],"response_body":"b","error":null"#
                    )
                ),
            ),
            with(STEP, &format!(r#""exchanges":[{}]"#, with(EX, r#""status":70000"#))),
            with(STEP, &format!(r#""exchanges":[{}]"#, with(EX, r#""status":-1"#))),
            with(STEP, &format!(r#""exchanges":[{}]"#, with(EX, r#""request_headers":[["a"]]"#))),
            with(STEP, &format!(r#""exchanges":[{}]"#, with(EX, r#""request_headers":[["a","b","c"]]"#))),
            with(STEP, &format!(r#""exchanges":[{}]"#, with(EX, r#""request_headers":[["a",1]]"#))),
            with(STEP, &format!(r#""exchanges":[{}]"#, with(EX, r#""request_headers":null"#))),
            with(STEP, &format!(r#""exchanges":[{}]"#, EX.replace(r#""method":"GET","#, ""))),
        ] {
            agree::<Step, timeline::Step>(&json);
        }
    }

    /// Both readers accept `json` and read the same thing, or both refuse it.
    fn agree<A: DeserializeOwned + Serialize, B: DeserializeOwned + Serialize>(json: &str) {
        match (serde_json::from_str::<A>(json), serde_json::from_str::<B>(json)) {
            (Ok(a), Ok(b)) => assert_eq!(serde_json::to_value(a).ok(), serde_json::to_value(b).ok(), "{json}"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{json}: ours ok {}, derived ok {}", a.is_ok(), b.is_ok()),
        }
    }

    const CREDS: &str = r#"{"issuer":"https://as","client_id":"c","token_endpoint_auth_method":"none","source":"dynamic","redirect_uri":"http://127.0.0.1/cb"}"#;

    fn with(base: &str, extra: &str) -> String {
        format!("{},{extra}}}", base.trim_end_matches('}'))
    }

    #[test]
    fn stored_records_read_as_the_derive_read_them() {
        for json in [
            CREDS.to_owned(),
            with(CREDS, r#""client_secret":"s","grant_types":["authorization_code"],"issued_at":5,"scope":null"#),
            with(CREDS, r#""grant_types":null"#),
            with(CREDS, r#""issued_at":"5""#),
            CREDS.replace("dynamic", "pre_registered"),
            CREDS.replace("dynamic", "metadata_document"),
            CREDS.replace("dynamic", "Dynamic"),
            CREDS.replace(r#""client_id":"c","#, ""),
            with(CREDS, r#""client_id":"d""#),
        ] {
            agree::<Credentials, derived::Credentials>(&json);
        }
        let session = format!(
            r#"{{"access_token":"a","expires_at":1,"mcp_url":"m","resource":"r","issuer":"i","token_endpoint":"t","credentials":{CREDS}}}"#
        );
        for json in [
            session.clone(),
            with(&session, r#""expires_in":60,"refresh_token":"r","scope":"s","revocation_endpoint":null"#),
            with(&session, r#""expires_in":-1"#),
            session.replace(r#""expires_at":1"#, r#""expires_at":1.5"#),
            session.replace(CREDS, "[]"),
            session.replace(CREDS, &CREDS.replace("dynamic", "other")),
        ] {
            agree::<Session, derived::Session>(&json);
        }
        let pending = format!(
            r#"{{"state":"s","code_verifier":"v","credentials":{CREDS},"issuer":"i","iss_required":true,"token_endpoint":"t","resource":"r","mcp_url":"m","redirect_uri":"u","authorization_url":"a"}}"#
        );
        for json in [
            pending.clone(),
            with(&pending, r#""scope":"x","revocation_endpoint":"rv""#),
            pending.replace(r#""iss_required":true"#, r#""iss_required":null"#),
            pending.replace(r#""iss_required":true,"#, ""),
            with(&pending, r#""state":"t""#),
        ] {
            agree::<PendingAuthorization, derived::Pending>(&json);
        }
    }
}
