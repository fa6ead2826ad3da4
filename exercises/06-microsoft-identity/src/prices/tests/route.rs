//! `GET /api/prices` through a router with step 01's in-memory sessions,
//! as the step's app serves it.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
    response::Response,
    routing::post,
};
use serde_json::{Value, json};
use tower::Service as _;
use wiremock::ResponseTemplate;

use super::mocks::*;
use crate::prices::{PriceClient, routes};

struct TestApp {
    router: Router,
}

impl TestApp {
    fn new(client: Option<PriceClient>) -> Self {
        let config = kit::Config {
            host: "127.0.0.1".into(),
            port: 5000,
            data_dir: "/nonexistent".into(),
            static_dir: "/nonexistent".into(),
            public_url: "http://localhost:5000".into(),
            session_ttl: Duration::from_secs(1800),
            session_absolute_ttl: Duration::from_secs(43_200),
            remember_ttl: Duration::from_secs(3600),
            database_url: None,
            oidc_issuer: "https://accounts.google.com".into(),
            oidc_client_id: None,
            oidc_client_secret: None,
            session_secret: None,
        };
        // A way in for the tests: signing in is other steps' lesson.
        let sign_in = Router::new().route("/test/sign-in", post(sign_in_alice));
        let router = routes(client.map(Arc::new)).merge(sign_in);
        Self { router: step01_solution::auth::with_sessions(router, &config) }
    }

    async fn send(&self, request: Request<Body>) -> Response {
        self.router.clone().call(request).await.unwrap()
    }

    /// A session cookie, signed in as alice.
    async fn signed_in(&self) -> String {
        let answer = self.send(Request::post("/test/sign-in").body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status(), StatusCode::OK);
        let cookie = answer.headers()[header::SET_COOKIE].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    async fn prices(&self, cookie: Option<&str>) -> (StatusCode, Value, Response) {
        let mut request = Request::get("/api/prices");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let answer = self.send(request.body(Body::empty()).unwrap()).await;
        let status = answer.status();
        let (parts, body) = answer.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        for secret in [TOKEN, IDENTITY_HEADER] {
            assert!(!text.contains(secret), "{text}");
        }
        let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        (status, json, Response::from_parts(parts, Body::empty()))
    }
}

async fn sign_in_alice(session: kit::Session) -> StatusCode {
    session.sign_in("alice").await.unwrap();
    StatusCode::OK
}

#[tokio::test]
async fn a_signed_in_user_gets_the_prices_and_no_cache_keeps_them() {
    let mocks = Mocks::start().await;
    mocks.identity_gives(TOKEN, HOUR).await;
    mocks.service_takes(TOKEN).await;
    let app = TestApp::new(Some(mocks.client()));
    let cookie = app.signed_in().await;
    let (status, body, answer) = app.prices(Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, prices());
    assert_eq!(answer.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(answer.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn anonymous_is_401_and_nothing_is_fetched() {
    let mocks = Mocks::start().await;
    mocks.identity_gives(TOKEN, HOUR).await;
    mocks.service_takes(TOKEN).await;
    let app = TestApp::new(Some(mocks.client()));
    for cookie in [None, Some("session=forged")] {
        let (status, body, answer) = app.prices(cookie).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, json!({ "error": "not signed in" }));
        assert_eq!(answer.headers()[header::CACHE_CONTROL], "no-store");
    }
    assert!(mocks.server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn not_configured_is_503_for_the_signed_in_and_401_for_anonymous() {
    let app = TestApp::new(None);
    let cookie = app.signed_in().await;
    let (status, body, _) = app.prices(Some(&cookie)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["error"].as_str().unwrap().contains("not configured"), "{body}");
    assert_eq!(app.prices(None).await.0, StatusCode::UNAUTHORIZED);
}

/// A log writer that keeps every line, to look for secrets in.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn failures_are_502_json_and_no_secret_reaches_the_answer_or_the_log() {
    // The test's runtime has one thread, so the token fetch's task logs
    // here too.
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mocks = Mocks::start().await;
    mocks.identity_answers(ResponseTemplate::new(503), Some(1)).await;
    mocks.identity_gives(TOKEN, HOUR).await;
    // Each failure echoes the token.
    mocks.service_answers(TOKEN, ResponseTemplate::new(500).set_body_string(TOKEN), Some(1)).await;
    mocks.service_answers(TOKEN, ResponseTemplate::new(401).set_body_string(TOKEN), Some(2)).await;
    let echo = format!("{{\"token\": \"{TOKEN}\"");
    mocks.service_answers(TOKEN, ResponseTemplate::new(200).set_body_string(echo), Some(1)).await;
    mocks.service_takes(TOKEN).await;
    let mut settings = mocks.settings();
    settings.retry_after = Duration::ZERO;
    let app = TestApp::new(Some(PriceClient::new(settings).unwrap()));
    let cookie = app.signed_in().await;

    // The identity endpoint fails; then the price service: 500, 401 twice
    // (the kept token, then a new one), not JSON.
    for _ in 0..4 {
        let (status, body, _) = app.prices(Some(&cookie)).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
        assert!(body["error"].is_string(), "{body}");
    }
    assert_eq!(app.prices(Some(&cookie)).await.0, StatusCode::OK, "the server keeps serving");

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert_eq!(log.matches("cannot get the prices").count(), 4, "{log}");
    for secret in [TOKEN, IDENTITY_HEADER] {
        assert!(!log.contains(secret), "{log}");
    }
}
