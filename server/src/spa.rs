//! Optional static serving of the built SPA (`trunk build` output), with an `index.html`
//! fallback so client-side routes such as `/callback?code=...` load the app.
//!
//! Every response carries [`CONTENT_SECURITY_POLICY`] and `X-Frame-Options: DENY`. The SPA keeps
//! the PKCE verifier and tokens in `sessionStorage`, so script that runs in its origin owns the
//! login: the policy lets only the app's own files run (no inline script, no `javascript:` URL,
//! no `eval` beyond compiling its WebAssembly) and no other site frame it. `Trunk.toml` sends
//! the same policy from `trunk serve`.

use std::path::Path;

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// The SPA's Content-Security-Policy; `Trunk.toml` `[serve]` repeats it word for word (a test
/// compares them). `connect-src` allows any `https:` and `http:` origin, because the user names
/// the MCP server and the authorization servers are named by its metadata: the app itself
/// refuses plain http to anything but loopback (`shared::urls::validate_network_url`), a rule CSP
/// cannot express (source lists have no `127.0.0.0/8`, and no IPv6 literals such as `[::1]`).
/// With script limited to the app's own files, `connect-src` only ever governs the app's fetches.
/// `img-src data:`: the console shows the images MCP tools return as data URLs.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
                                           style-src 'self'; img-src 'self' data:; \
                                           connect-src 'self' https: http:; object-src 'none'; \
                                           base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn routes(dir: &Path) -> Router {
    let index = dir.join("index.html");
    Router::new()
        .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
}
