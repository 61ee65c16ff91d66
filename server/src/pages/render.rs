//! Askama templates and the responses that carry them.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::store::{AuthRequest, Client};

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub client_name: &'a str,
    pub resource: &'a str,
    pub request_id: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub client_name: &'a str,
    pub client_id: &'a str,
    pub username: &'a str,
    pub redirect_host: String,
    /// For a Client ID Metadata Document client: the host its identity rests on.
    pub identity_host: Option<String>,
    pub resource: &'a str,
    pub scopes: Vec<(String, &'static str)>,
    pub request_id: &'a str,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub message: &'a str,
}

pub fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "page could not be rendered").into_response()
        }
    }
}

pub fn error(status: StatusCode, message: &str) -> Response {
    page(status, &ErrorPage { message })
}

pub fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => error(StatusCode::BAD_REQUEST, "The redirect URI cannot be used."),
    }
}

pub fn client_display_name(client: Option<&Client>) -> String {
    client.and_then(|c| c.client_name.clone()).unwrap_or_else(|| "An unnamed application".into())
}

pub fn consent<'a>(req: &'a AuthRequest, client_name: &'a str, username: &'a str, csrf: &'a str) -> ConsentPage<'a> {
    let redirect_host = url::Url::parse(&req.redirect_uri)
        .map(|u| {
            u.host_str()
                .map_or_else(|| req.redirect_uri.clone(), |h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|_| req.redirect_uri.clone());
    ConsentPage {
        client_name,
        client_id: &req.client_id,
        username,
        redirect_host,
        identity_host: crate::oauth::cimd::identity_host(&req.client_id),
        resource: &req.resource,
        scopes: req.scope.split(' ').map(|s| (s.to_owned(), scope_description(s))).collect(),
        request_id: &req.id,
        csrf,
    }
}

fn scope_description(scope: &str) -> &'static str {
    match scope {
        shared::scopes::USER => "read your profile, account data and usage statistics",
        shared::scopes::USER_WRITE => "change your own profile (your display name)",
        _ => "an additional permission",
    }
}
