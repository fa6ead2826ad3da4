//! Refusing state-changing requests that another site made the browser send
//! (cross-site request forgery).

use axum::{
    body::Body,
    extract::{Request, State},
    http::{Method, StatusCode, header::ORIGIN},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// This site's origin, `scheme://host[:port]`, from `PUBLIC_URL`.
#[derive(Clone, Debug)]
pub struct Origin(String);

impl Origin {
    pub fn of(public_url: &str) -> Self {
        let after_scheme = public_url.find("://").map_or(0, |i| i + 3);
        let end =
            public_url[after_scheme..].find('/').map_or(public_url.len(), |i| after_scheme + i);
        let origin = public_url[..end].to_ascii_lowercase();
        // Browsers leave a scheme's default port out of `Origin`.
        let origin = origin
            .strip_suffix(":443")
            .filter(|o| o.starts_with("https://"))
            .or_else(|| origin.strip_suffix(":80").filter(|o| o.starts_with("http://")))
            .map_or(origin.clone(), str::to_owned);
        Self(origin)
    }
}

// ANCHOR: refuse
/// Browsers tell us who made them send a request: `Origin` on every POST,
/// and `Sec-Fetch-Site` in current browsers. A POST that either shows came
/// from another site gets 403 before it can change anything. A request
/// with neither header comes from no browser (curl, a script), which can
/// forge nothing on a user's behalf, so it passes.
pub async fn refuse_cross_site(
    State(ours): State<Origin>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if request.method() == Method::POST && is_cross_site(&request, &ours) {
        tracing::warn!(origin = ?request.headers().get(ORIGIN), path = %request.uri().path(), "cross-site POST refused");
        return (StatusCode::FORBIDDEN, "Cross-site requests are not allowed.\n").into_response();
    }
    next.run(request).await
}

fn is_cross_site(request: &Request<Body>, ours: &Origin) -> bool {
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let foreign_origin = headers
        .get(ORIGIN)
        // `Origin: null` (a sandboxed frame, a data: URL) is no origin of ours.
        .is_some_and(|origin| !origin.as_bytes().eq_ignore_ascii_case(ours.0.as_bytes()));
    foreign_origin || fetch_site == Some("cross-site")
}
// ANCHOR_END: refuse

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request<Body> {
        let mut request = Request::post("/login");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Body::empty()).unwrap()
    }

    #[test]
    fn our_origin_is_scheme_host_and_port() {
        assert_eq!(Origin::of("http://localhost:5000").0, "http://localhost:5000");
        assert_eq!(Origin::of("https://Example.org/app/").0, "https://example.org");
        assert_eq!(Origin::of("https://example.org:443").0, "https://example.org");
        assert_eq!(Origin::of("http://example.org:8443").0, "http://example.org:8443");
    }

    #[test]
    fn only_other_sites_are_refused() {
        let ours = Origin::of("http://localhost:5000");
        assert!(!is_cross_site(&post(&[]), &ours));
        assert!(!is_cross_site(&post(&[("origin", "http://localhost:5000")]), &ours));
        assert!(!is_cross_site(&post(&[("sec-fetch-site", "same-origin")]), &ours));
        assert!(is_cross_site(&post(&[("origin", "https://evil.example")]), &ours));
        assert!(is_cross_site(&post(&[("origin", "http://localhost:5001")]), &ours));
        assert!(is_cross_site(&post(&[("origin", "null")]), &ours));
        assert!(is_cross_site(&post(&[("sec-fetch-site", "cross-site")]), &ours));
    }
}
