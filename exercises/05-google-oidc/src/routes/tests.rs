//! The whole sign-in through the app's router, against the tests' mock
//! provider: what a browser sees at each step, and what stays in the
//! sessions table.

use std::{collections::HashMap, sync::Arc, time::Instant};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
    response::Response,
};
use serde_json::{Map, Value, json};
use tower::Service as _;
use wiremock::{
    Mock, ResponseTemplate,
    matchers::{method, path},
};

use crate::oidc::test_provider::{self, MockProvider, SLOW, TIMEOUT};

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
        Self::with(MockProvider::start().await).await
    }

    /// The app signing in with `mock`, under the tests' time limits.
    async fn with(mock: MockProvider) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = kit::Config {
            host: "127.0.0.1".into(),
            port: 5000,
            data_dir: dir.path().to_owned(),
            static_dir: dir.path().to_owned(),
            public_url: "http://localhost:5000".into(),
            session_ttl: std::time::Duration::from_secs(1800),
            session_absolute_ttl: std::time::Duration::from_secs(43_200),
            remember_ttl: std::time::Duration::from_secs(3600),
            database_url: None,
            oidc_issuer: mock.issuer(),
            oidc_client_id: Some(test_provider::CLIENT_ID.into()),
            oidc_client_secret: Some(test_provider::CLIENT_SECRET.into()),
            session_secret: None,
        };
        let google = Some(Arc::new(mock.provider()));
        Self { router: crate::app_with(&config, google).await.unwrap(), mock, dir }
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

    /// The token endpoint answers, once, an honest ID token for `nonce`.
    async fn provider_signs_in(&self, nonce: &str) {
        self.provider_answers(self.mock.claims(nonce)).await;
    }

    /// The token endpoint answers, once, an ID token with `claims`.
    async fn provider_answers(&self, claims: Map<String, Value>) {
        let id_token = test_provider::key().sign(&claims);
        Mock::given(method("POST"))
            .and(path(test_provider::TOKEN))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token}),
            ))
            .up_to_n_times(1)
            .mount(self.mock.server())
            .await;
    }

    async fn me(&self, cookie: &str) -> (StatusCode, Value) {
        let answer = self.get("/api/me", Some(cookie)).await;
        let status = answer.status();
        let body = axum::body::to_bytes(answer.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// A count from the app's database.
    async fn count(&self, sql: &str) -> i64 {
        let url = step04_solution::db::url(None, self.dir.path());
        let pool = step04_solution::db::open_with(&url, Some(crate::db::migrations)).await.unwrap();
        let (count,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        count
    }

    /// Sign-ins started and neither finished nor failed.
    async fn pending_sign_ins(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM oidc_pending").await
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
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE user_id IS NULL").await, 0);
    assert_eq!(app.pending_sign_ins().await, 0, "the pending sign-in is gone");
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
    assert!(text(replayed).await.contains("may have been used already"));
}

#[tokio::test]
async fn callbacks_at_once_with_one_cookie_sign_in_once() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    app.provider_signs_in(&started.nonce).await;
    let callback = format!("/auth/callback?code=the-code&state={}", started.state);
    let callback = || app.get(&callback, Some(&started.cookie));
    let (a, b, c) = tokio::join!(callback(), callback(), callback());
    let mut statuses: Vec<StatusCode> = [a, b, c].iter().map(Response::status).collect();
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST]);
    assert_eq!(app.mock.requests_to(test_provider::TOKEN).await, 1, "one code exchanged");
}

#[tokio::test]
async fn a_wrong_state_is_refused_and_the_right_one_still_finishes() {
    let app = TestApp::start().await;
    let forged = [
        "code=c",
        "code=c&state=",
        "code=c&state=forged",
        "error=access_denied",
        "error=access_denied&state=forged",
    ];
    for query in forged {
        let started = app.start_sign_in().await;
        // Wrong: with the state this browser's sign-in sent, plus one character.
        let wrong = format!("code=c&state={}x", started.state);
        for query in [query, &wrong] {
            let answer = app.get(&format!("/auth/callback?{query}"), Some(&started.cookie)).await;
            assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{query}");
            assert!(session_cookie(&answer).is_none(), "{query}");
            assert_eq!(app.me(&started.cookie).await.0, StatusCode::UNAUTHORIZED, "{query}");
        }
        // The forged callbacks cancelled nothing: the real one signs in.
        app.provider_signs_in(&started.nonce).await;
        let right = format!("/auth/callback?code=c&state={}", started.state);
        let answer = app.get(&right, Some(&started.cookie)).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "after {query}");
    }
    let exchanged = app.mock.requests_to(test_provider::TOKEN).await;
    assert_eq!(exchanged, forged.len(), "only the right callbacks' codes were exchanged");
    assert_eq!(app.pending_sign_ins().await, 0);
}

#[tokio::test]
async fn a_callback_in_a_browser_that_started_nothing_is_refused() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    let callback = format!("/auth/callback?code=c&state={}", started.state);
    let answer = app.get(&callback, None).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(session_cookie(&answer).is_none());
    assert_eq!(app.pending_sign_ins().await, 1, "left to its own browser");
}

#[tokio::test]
async fn a_declined_sign_in_says_so_in_plain_words_and_ends() {
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
    assert!(!page.contains("not signed in"), "whoever sees it may still be: {page}");
    assert_eq!(app.pending_sign_ins().await, 0, "its own state ended it");
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
    assert_eq!(app.pending_sign_ins().await, 0);
    assert_eq!(app.get(&callback, Some(&started.cookie)).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn sign_ins_at_once_against_a_silent_provider_all_fail_within_one_time_limit() {
    let mock = MockProvider::start_without_discovery().await;
    Mock::given(method("GET"))
        .and(path(test_provider::DISCOVERY))
        .respond_with(ResponseTemplate::new(200).set_body_json(mock.document()).set_delay(SLOW))
        .mount(mock.server())
        .await;
    let app = TestApp::with(mock).await;
    let sign_in = || async {
        let started = Instant::now();
        let answer = app.get("/login/google", None).await;
        (answer.status(), started.elapsed())
    };
    let (a, b, c, d) = tokio::join!(sign_in(), sign_in(), sign_in(), sign_in());
    for (status, took) in [a, b, c, d] {
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        // Queued behind each other, the last would take four time limits.
        assert!(took < TIMEOUT * 2, "{took:?}");
    }

    // The failure is remembered: a sign-in after the fetch gave up, but
    // within RETRY_AFTER, fails at once, without asking again.
    tokio::time::sleep(test_provider::RETRY_AFTER / 3).await;
    let (status, took) = sign_in().await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(took < TIMEOUT / 2, "{took:?}");
    assert_eq!(app.mock.requests_to(test_provider::DISCOVERY).await, 1, "one fetch for all");
}

#[tokio::test]
async fn a_callback_has_one_time_limit_for_the_token_and_the_keys_together() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    // Each answer within the time limit, both together past it.
    let late = TIMEOUT.mul_f32(0.6);
    let id_token = test_provider::key().sign(&app.mock.claims(&started.nonce));
    Mock::given(method("POST"))
        .and(path(test_provider::TOKEN))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(
                    json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token}),
                )
                .set_delay(late),
        )
        .mount(app.mock.server())
        .await;
    Mock::given(method("GET"))
        .and(path(test_provider::JWKS))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(app.mock.jwks(&[test_provider::key()]))
                .set_delay(late),
        )
        .with_priority(1)
        .mount(app.mock.server())
        .await;
    let begun = Instant::now();
    let callback = format!("/auth/callback?code=c&state={}", started.state);
    let answer = app.get(&callback, Some(&started.cookie)).await;
    assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
    assert!(begun.elapsed() < late * 2, "{:?}", begun.elapsed());
    assert!(session_cookie(&answer).is_none());
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
async fn an_address_google_did_not_check_is_kept_but_not_shown_as_the_users() {
    let app = TestApp::start().await;
    let started = app.start_sign_in().await;
    let mut claims = app.mock.claims(&started.nonce);
    claims.insert("email_verified".into(), json!(false));
    app.provider_answers(claims).await;
    let callback = format!("/auth/callback?code=c&state={}", started.state);
    let answer = app.get(&callback, Some(&started.cookie)).await;
    let cookie = session_cookie(&answer).expect("signed in: the address is not the account");
    let (_, me) = app.me(&cookie).await;
    assert_eq!(me.get("email"), Some(&Value::Null), "{me}");
    assert_eq!(me["name"], "Alice Liddell");
    let unchecked = "SELECT COUNT(*) FROM users
                     WHERE email = 'alice@example.com' AND email_verified = FALSE";
    assert_eq!(app.count(unchecked).await, 1);
}

#[tokio::test]
async fn the_home_page_offers_google_beside_the_password_form() {
    let app = TestApp::start().await;
    let page = text(app.get("/", None).await).await;
    assert!(page.contains(r#"href="/login/google""#), "{page}");
    assert!(page.contains(r#"action="/login""#), "{page}");
}
