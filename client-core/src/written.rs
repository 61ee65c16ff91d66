//! The writing side of `stored`: the records front ends keep, written member by member through
//! `shared::fields::Record`, with what the derived `Serialize` writes (the test holds the two
//! together), so that the SPA has one writer instead of a serializer per struct (and serde's
//! flattening for the records that extend the core's).

use shared::fields::Record;

use crate::authorize::PendingAuthorization;
use crate::identity::Credentials;
use crate::step::Step;
use crate::stored::{SOURCES, SOURCE_VALUES};
use crate::token::Session;
use crate::trace::Exchange;

impl Credentials {
    pub fn write(&self, r: &mut Record) {
        r.string("issuer", &self.issuer);
        r.string("client_id", &self.client_id);
        if let Some(secret) = &self.client_secret {
            r.string("client_secret", secret);
        }
        r.string("token_endpoint_auth_method", &self.token_endpoint_auth_method);
        r.string("source", SOURCES[SOURCE_VALUES.iter().position(|v| *v == self.source).unwrap_or_default()]);
        r.string("redirect_uri", &self.redirect_uri);
        r.opt_string("registration_endpoint", self.registration_endpoint.as_deref());
        r.strings("grant_types", &self.grant_types);
        r.opt_string("scope", self.scope.as_deref());
        r.plain("issued_at", self.issued_at.as_ref().map(|v| v as _));
    }
}

impl Session {
    /// Writes the session's members into `r` (a front end's record may add its own).
    pub fn write(&self, r: &mut Record) {
        r.string("access_token", &self.access_token);
        r.plain("expires_at", Some(&self.expires_at));
        r.plain("expires_in", self.expires_in.as_ref().map(|v| v as _));
        r.opt_string("refresh_token", self.refresh_token.as_deref());
        r.opt_string("scope", self.scope.as_deref());
        r.string("mcp_url", &self.mcp_url);
        r.string("resource", &self.resource);
        r.string("issuer", &self.issuer);
        r.string("token_endpoint", &self.token_endpoint);
        r.opt_string("revocation_endpoint", self.revocation_endpoint.as_deref());
        r.record("credentials", &self.credentials, Credentials::write);
    }
}

impl PendingAuthorization {
    /// Writes the members into `r` (see [`Session::write`]).
    pub fn write(&self, r: &mut Record) {
        r.string("state", &self.state);
        r.string("code_verifier", &self.code_verifier);
        r.record("credentials", &self.credentials, Credentials::write);
        r.string("issuer", &self.issuer);
        r.plain("iss_required", Some(&self.iss_required));
        r.string("token_endpoint", &self.token_endpoint);
        r.opt_string("revocation_endpoint", self.revocation_endpoint.as_deref());
        r.string("resource", &self.resource);
        r.string("mcp_url", &self.mcp_url);
        r.string("redirect_uri", &self.redirect_uri);
        r.opt_string("scope", self.scope.as_deref());
        r.string("authorization_url", &self.authorization_url);
    }
}

impl Exchange {
    fn write(&self, r: &mut Record) {
        r.string("method", &self.method);
        r.string("url", &self.url);
        r.plain("status", self.status.as_ref().map(|v| v as _));
        r.pairs("request_headers", &self.request_headers);
        r.opt_string("request_body", self.request_body.as_deref());
        r.pairs("response_headers", &self.response_headers);
        r.opt_string("response_body", self.response_body.as_deref());
        r.opt_string("error", self.error.as_deref());
    }
}

impl Step {
    /// Writes a step's members into `r` (e.g. one of [`Record::records`]).
    pub fn write(&self, r: &mut Record) {
        r.string("id", &self.id);
        r.string("title", &self.title);
        r.string("status", self.status.as_str());
        r.string("detail", &self.detail);
        r.records("exchanges", &self.exchanges, Exchange::write);
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use shared::fields::Record;

    use crate::authorize::PendingAuthorization;
    use crate::identity::{CredentialSource, Credentials};
    use crate::step::{Step, StepStatus};
    use crate::token::Session;
    use crate::trace::Exchange;

    fn same<T: Serialize>(value: &T, write: fn(&T, &mut Record)) {
        let ours: serde_json::Value =
            serde_json::from_str(&Record::text(value, write)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Some(ours), serde_json::to_value(value).ok());
    }

    #[test]
    fn written_records_are_what_the_derive_writes() {
        let odd = "a \"quoted\" \\ value\n\u{1}é";
        let creds = Credentials {
            issuer: "https://as".into(),
            client_id: odd.into(),
            client_secret: None,
            token_endpoint_auth_method: "none".into(),
            source: CredentialSource::Dynamic,
            redirect_uri: "http://127.0.0.1/cb".into(),
            registration_endpoint: None,
            grant_types: vec![],
            scope: None,
            issued_at: None,
        };
        let full = Credentials {
            client_secret: Some("s".into()),
            source: CredentialSource::MetadataDocument,
            registration_endpoint: Some("https://as/r".into()),
            grant_types: vec!["authorization_code".into(), odd.into()],
            scope: Some("a b".into()),
            issued_at: Some(-5),
            ..creds.clone()
        };
        for c in [&creds, &full, &Credentials { source: CredentialSource::PreRegistered, ..creds.clone() }] {
            same(c, Credentials::write);
        }
        let session = Session {
            access_token: odd.into(),
            expires_at: 1_700_000_000_000,
            expires_in: None,
            refresh_token: None,
            scope: None,
            mcp_url: "m".into(),
            resource: "r".into(),
            issuer: "i".into(),
            token_endpoint: "t".into(),
            revocation_endpoint: None,
            credentials: creds.clone(),
        };
        same(&session, Session::write);
        let renewed = Session {
            expires_in: Some(60),
            refresh_token: Some("rt".into()),
            scope: Some("s".into()),
            revocation_endpoint: Some("rv".into()),
            credentials: full.clone(),
            ..session
        };
        same(&renewed, Session::write);
        let pending = PendingAuthorization {
            state: "s".into(),
            code_verifier: "v".into(),
            credentials: full,
            issuer: "i".into(),
            iss_required: true,
            token_endpoint: "t".into(),
            revocation_endpoint: None,
            resource: "r".into(),
            mcp_url: "m".into(),
            redirect_uri: "u".into(),
            scope: None,
            authorization_url: odd.into(),
        };
        same(&pending, PendingAuthorization::write);
        same(
            &PendingAuthorization { iss_required: false, scope: Some("x".into()), ..pending },
            PendingAuthorization::write,
        );
        let exchange = Exchange {
            method: "POST".into(),
            url: "https://as/token".into(),
            status: Some(200),
            request_headers: vec![("content-type".into(), odd.into())],
            request_body: Some("a=b".into()),
            response_headers: vec![],
            response_body: None,
            error: None,
        };
        let failed = Exchange { status: None, error: Some(odd.into()), ..Exchange::default() };
        for (status, exchanges) in [(StepStatus::Pending, vec![]), (StepStatus::Ok, vec![exchange, failed])] {
            let step = Step { id: "prm".into(), title: odd.into(), status, detail: "d".into(), exchanges };
            same(&step, Step::write);
        }
        let error = Step {
            id: "x".into(),
            title: "t".into(),
            status: StepStatus::Error,
            detail: String::new(),
            exchanges: vec![],
        };
        same(&error, Step::write);
    }
}
