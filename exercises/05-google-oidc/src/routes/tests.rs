//! The whole sign-in through the app's router, against the tests' mock
//! provider: what a browser sees at each step, and what stays in the
//! sessions table.

use std::collections::HashMap;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
    response::Response,
};
use serde_json::{Value, json};
use tower::Service as _;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

use crate::oidc::test_provider::{self, CLIENT_ID, CLIENT_SECRET, MockProvider};

struct TestApp {
    router: Router,
    mock: MockProvider,
    dir: tempfile::TempDir,
}

/// Where `/login/google` sent the browser, and the cookie it set.
struct Started {
    cookie: String,
    state: String,
    nonce: String,
}

impl TestApp {
    async fn start() -> Self {
        let mock = MockProvider::start().await;
        let dir = tempfile::tempdir().unwrap();
        let config = kit::Config {
            host: "127.0.0.1".into(),
            port: 5000,
            data_dir: dir.path().to_owned(),
            static_dir: dir.path().to_owned(),
            public_url: "http://localhost:5000".into(),
            session_ttl: std::time::Duration::from_secs(1800),
            remember_ttl: std::time::Duration::from_secs(3600),
            database_url: None,
            oidc_issuer: mock.issuer(),
            oidc_client_id: Some(CLIENT_ID.into()),
            oidc_client_secret: Some(CLIENT_SECRET.into()),
            session_secret: None,
        };
        Self { router: crate::app(&config).await.unwrap(), mock, dir }
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> Response {
        let mut request = Request::get(uri);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, format!("session={cookie}"));
        }
        self.router.clone().call(request.body(Body::empty()).unwrap()).await.unwrap()
    }

    async fn start_sign_in(&self) -> Started {
        let answer = self.get("/login/google", None).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let location = answer.headers()[header::LOCATION].to_str().unwrap();
        let url = reqwest::Url::parse(location).unwrap();
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        let cookie = session_cookie(&answer).expect("a session for the pending sign-in");
        Started { cookie, state: query["state"].clone(), nonce: query["nonce"].clone() }
    }

    /// The token endpoint answers an honest ID token for `nonce`.
    async fn provider_signs_in(&self, nonce: &str) {
        let id_token = test_provider::key().sign(&self.mock.claims(nonce));
        Mock::given(method("POST"))
            .and(path(test_provider::TOKEN))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token}),
            ))
            .mount(self.mock.server())
            .await;
    }

    async fn me(&self, cookie: &str) -> (StatusCode, Value) {
        let answer = self.get("/api/me", Some(cookie)).await;
        let status = answer.status();
        let body = axum::body::to_bytes(answer.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// Sessions rows nobody is signed in on.
    async fn anonymous_sessions(&self) -> i64 {
        let url = step04_solution::db::url(None, self.dir.path());
        let pool = step04_solution::db::open_with(&url, Some(crate::db::migrations)).await.unwrap();
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE user_id IS NULL")
                .fetch_one(&pool)
                .await
                .unwrap();
        count
    }
}

/// The value the answer sets the `session` cookie to, if it sets one.
fn session_cookie(answer: &Response) -> Option<String> {
    answer.headers().get_all(header::SET_COOKIE).iter().find_map(|value| {
        let value = value.to_str().ok()?.strip_prefix("session=")?;
        let cookie = value.split(';').next()?;
        (!cookie.is_empty()).then(|| cookie.to_owned())
    })
}

async fn text(answer: Response) -> String {
    let body = axum::body::to_bytes(answer.into_body(), 1 << 20).await.unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn a_sign_in_lands_on_the_cabinet_under_a_new_session_id() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    app.provider_signs_in(&started.nonce).await;
    let callback = format!("/auth/callback?code=the-code&state={}", started.state);
    let answer = app.get(&callback, Some(&started.cookie)).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()[header::LOCATION], "/cabinet");
    let cookie = session_cookie(&answer).expect("a signed-in session");
    assert_ne!(cookie, started.cookie, "a new id at sign-in");

    let (status, me) = app.me(&cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["provider"], "google");
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["name"], "Alice Liddell");
    assert_eq!(app.me(&started.cookie).await.0, StatusCode::UNAUTHORIZED, "the old id is dead");
    assert_eq!(app.anonymous_sessions().await, 0, "the pending sign-in is gone");
}

#[tokio::test]
async fn a_replayed_callback_finds_nothing_pending() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    app.provider_signs_in(&started.nonce).await;
    let callback = format!("/auth/callback?code=the-code&state={}", started.state);
    assert_eq!(app.get(&callback, Some(&started.cookie)).await.status(), StatusCode::SEE_OTHER);
    let replayed = app.get(&callback, Some(&started.cookie)).await;
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(session_cookie(&replayed).is_none());
    assert!(text(replayed).await.contains("no sign-in with Google under way"));
}

#[tokio::test]
async fn a_wrong_state_is_refused_and_ends_the_sign_in() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    app.provider_signs_in(&started.nonce).await;
    for state in ["", "&state=", "&state=forged", &format!("&state={}x", started.state)] {
        let started = app.start_sign_in().await;
        let answer = app.get(&format!("/auth/callback?code=c{state}"), Some(&started.cookie)).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{state:?}");
        assert!(session_cookie(&answer).is_none(), "{state:?}");
        // The right state comes too late: the first callback consumed it.
        let right = format!("/auth/callback?code=c&state={}", started.state);
        assert_eq!(app.get(&right, Some(&started.cookie)).await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.me(&started.cookie).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.mock.requests_to(test_provider::TOKEN).await, 0, "no code was exchanged");
    assert_eq!(app.anonymous_sessions().await, 1, "only the first sign-in, never called back");
}

#[tokio::test]
async fn a_callback_in_a_browser_that_started_nothing_is_refused() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    let callback = format!("/auth/callback?code=c&state={}", started.state);
    let answer = app.get(&callback, None).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(session_cookie(&answer).is_none());
}

#[tokio::test]
async fn a_declined_sign_in_says_so_in_plain_words() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    let callback = format!(
        "/auth/callback?error=access_denied&error_description=Call+0800+now&state={}",
        started.state
    );
    let answer = app.get(&callback, Some(&started.cookie)).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let page = text(answer).await;
    assert!(page.contains("You declined to sign in with Google"), "{page}");
    assert!(!page.contains("0800"), "the provider's description is not shown");
    assert_eq!(app.anonymous_sessions().await, 0);
}

#[tokio::test]
async fn a_provider_that_fails_gives_a_502_and_the_server_serves_on() {
    let app = TestApp::start().await;
    Mock::given(method("POST"))
        .and(path(test_provider::TOKEN))
        .respond_with(ResponseTemplate::new(500))
        .mount(app.mock.server())
        .await;
    let started = app.start_sign_in().await;
    let callback = format!("/auth/callback?code=c&state={}", started.state);
    let answer = app.get(&callback, Some(&started.cookie)).await;
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(app.me(&started.cookie).await.0, StatusCode::UNAUTHORIZED);
    // The 502 did not keep the sign-in: it cannot be tried again.
    assert_eq!(app.anonymous_sessions().await, 0);
    assert_eq!(app.get("/", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_id_token_for_another_sign_in_signs_nobody_in() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    app.provider_signs_in("a-nonce-from-another-sign-in").await;
    let callback = format!("/auth/callback?code=c&state={}", started.state);
    let answer = app.get(&callback, Some(&started.cookie)).await;
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    assert!(session_cookie(&answer).is_none());
}

#[tokio::test]
async fn the_home_page_offers_google_beside_the_password_form() {
    let app = TestApp::start().await;
    let page = text(app.get("/", None).await).await;
    assert!(page.contains(r#"href="/login/google""#), "{page}");
    assert!(page.contains(r#"action="/login""#), "{page}");
}
