//! Steps 1–5, from the home page up to the redirect: `client_core::flow::begin_login` runs the
//! unauthenticated MCP request, protected resource metadata, authorization server metadata, the
//! client identity (a registration that already led to a login in this browser is reused; see
//! `crate::storage::Registrations`) and the authorization request. What stays here is the
//! browser's part: this app's identity, the pending record in `sessionStorage`, and leaving the
//! page for the authorization endpoint.

use client_core::flow::{self, LoginContext};
use client_core::identity::ClientConfig;
use client_core::PendingAuthorization;
use shared::urls;

use super::ids::AUTHORIZE_REDIRECT;
use super::Timeline;
use crate::browser;
use crate::error::ClientError;
use crate::http::Fetch;
use crate::storage::{self, PendingFlow, Registrations};

pub const CLIENT_NAME: &str = "MCP Auth Browser Client";

/// This app as an OAuth client: a public web client registered dynamically.
pub fn client_config() -> Result<ClientConfig, ClientError> {
    Ok(ClientConfig {
        client_name: CLIENT_NAME.to_owned(),
        redirect_uri: format!("{}{}", browser::origin()?, urls::SPA_CALLBACK),
        application_type: None,
        pre_registered: None,
        metadata_document_url: None,
    })
}

/// Runs discovery and registration, then leaves the page for the authorization endpoint.
pub async fn connect(input: &str, t: Timeline) -> Result<(), ClientError> {
    t.clear();
    let client = client_config()?;
    let store = Registrations { redirect_uri: client.redirect_uri.clone() };
    let mut random = browser::random_source()?;
    let ctx = LoginContext { client: &client, store: &store, random: &mut random, observer: &t };
    let pending = flow::begin_login(&Fetch, input, ctx).await?;
    leave(pending, t)
}

/// Saves the pending flow (with the steps so far) and leaves for `/authorize`.
pub(super) fn leave(authorization: PendingAuthorization, t: Timeline) -> Result<(), ClientError> {
    let url = authorization.authorization_url.clone();
    let pending = PendingFlow { authorization, timeline: t.snapshot() };
    let go = storage::save_pending(&pending).and_then(|()| browser::redirect(&url));
    go.inspect_err(|e| t.fail(AUTHORIZE_REDIRECT, e.to_string()))
}
