//! `/static/<path>`: files under `STATIC_DIR`, and nothing outside it.

use axum::Router;
use tower_http::services::ServeDir;

/// `ServeDir` decodes the path, then refuses any `..`, root or prefix
/// component before touching the file system, so no encoding of a traversal
/// reaches a file outside `dir`; those and missing files are 404.
pub fn router(dir: &std::path::Path) -> Router {
    Router::new()
        .nest_service("/static", ServeDir::new(dir).append_index_html_on_directories(false))
}
