//! Optional static serving of the built SPA (`trunk build` output), with an `index.html`
//! fallback so client-side routes such as `/callback?code=...` load the app.

use std::path::Path;

use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

pub fn routes(dir: &Path) -> Router {
    let index = dir.join("index.html");
    Router::new().fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
}
