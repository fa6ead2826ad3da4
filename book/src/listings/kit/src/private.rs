//! Pages that show a user's own data must never be stored by a cache.

use axum::http::{HeaderValue, header::CACHE_CONTROL};
use tower_http::set_header::SetResponseHeaderLayer;

/// `Cache-Control: no-store` on every answer of the routes it wraps, the
/// anonymous ones included: a shared cache must not keep either.
pub fn no_store() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static("no-store"))
}
