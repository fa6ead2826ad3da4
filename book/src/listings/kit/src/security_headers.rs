//! Two headers on every answer, pages, files, redirects and errors alike:
//! `X-Content-Type-Options: nosniff`, so a browser never runs a file as
//! something other than its `Content-Type` says (ASVS V14.4.4), and
//! `Content-Security-Policy: frame-ancestors 'none'`, so no other site can
//! show our pages in a frame and trick a click on them (ASVS V14.4.7).

use axum::{
    Router,
    http::{
        HeaderName, HeaderValue,
        header::{CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS},
    },
};
use tower_http::set_header::SetResponseHeaderLayer;

pub const NOSNIFF: &str = "nosniff";
pub const FRAME_ANCESTORS: &str = "frame-ancestors 'none'";

// ANCHOR: add
/// `app` with both headers on every answer, unless a handler set its own.
/// Put it outside the panic catcher, so that a 500 gets them too.
pub fn add(app: Router) -> Router {
    app.layer(header(X_CONTENT_TYPE_OPTIONS, NOSNIFF))
        .layer(header(CONTENT_SECURITY_POLICY, FRAME_ANCESTORS))
}
// ANCHOR_END: add

fn header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::Request, routing::get};
    use tower::ServiceExt;

    use super::*;

    async fn boom() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn every_answer_gets_both_headers_even_a_panic() {
        let app = add(Router::new()
            .route("/", get(|| async { "home" }))
            .route("/boom", get(boom))
            .layer(crate::unfinished::layer()));
        for path in ["/", "/missing", "/boom"] {
            let request = Request::get(path).body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let headers = response.headers();
            assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], NOSNIFF, "{path}");
            assert_eq!(headers[CONTENT_SECURITY_POLICY], FRAME_ANCESTORS, "{path}");
        }
    }
}
