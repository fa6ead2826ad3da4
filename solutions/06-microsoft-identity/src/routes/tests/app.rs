//! The step's whole app against the two mock providers, and a browser
//! that keeps its session cookie and walks through the sign-ins.

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
    response::Response,
};
use serde_json::{Map, Value};
use step05_solution::oidc::{self, Provider, Standard};
use tower::Service as _;

use super::{
    google::{self, MockGoogle},
    key,
    microsoft::{self, MockMicrosoft, Person},
};
use crate::entra::Tenants;

const PUBLIC_URL: &str = "http://localhost:5000";
/// The tests' bound on a request's talk with a provider, instead of 10 s.
const TIMEOUT: Duration = Duration::from_millis(2000);

/// Which provider a sign-in goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idp {
    Microsoft,
    Google,
}

impl Idp {
    /// Its name in URLs and in `/api/me`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Microsoft => "microsoft",
            Self::Google => "google",
        }
    }

    /// Where it sends the browser back.
    pub fn callback(self) -> &'static str {
        match self {
            Self::Microsoft => "/auth/microsoft/callback",
            Self::Google => "/auth/callback",
        }
    }
}

pub struct TestApp {
    router: Router,
    pub microsoft: MockMicrosoft,
    pub google: MockGoogle,
    /// The tenant segment of `MS_ISSUER`.
    tenant: &'static str,
    dir: tempfile::TempDir,
}

impl TestApp {
    /// Microsoft as it starts by default (`organizations`), and Google.
    pub async fn start() -> Self {
        Self::with(Tenants::Organizations, true).await
    }

    /// Microsoft accepting `tenants` (`MS_TENANT`), and Google if `google`.
    pub async fn with(tenants: Tenants, google: bool) -> Self {
        let (microsoft, google_mock) = (MockMicrosoft::start().await, MockGoogle::start().await);
        let dir = tempfile::tempdir().unwrap();
        let config = kit::Config {
            host: "127.0.0.1".into(),
            port: 5000,
            data_dir: dir.path().to_owned(),
            static_dir: dir.path().to_owned(),
            public_url: PUBLIC_URL.into(),
            session_ttl: Duration::from_secs(1800),
            session_absolute_ttl: Duration::from_secs(43_200),
            remember_ttl: Duration::from_secs(3600),
            database_url: None,
            oidc_issuer: google_mock.issuer(),
            oidc_client_id: Some(google::CLIENT_ID.into()),
            oidc_client_secret: Some(google::CLIENT_SECRET.into()),
            session_secret: None,
        };
        // `MS_ISSUER` as the app has it unless told otherwise; `MS_TENANT`
        // decides whose tokens it takes.
        let tenant = if tenants == Tenants::Common { "common" } else { "organizations" };
        let settings = crate::microsoft::settings(
            &config,
            microsoft.issuer(tenant),
            microsoft::CLIENT_ID.into(),
            microsoft::CLIENT_SECRET.into(),
            tenants,
        );
        let ms = Provider::new(crate::microsoft::with_timeouts(settings, TIMEOUT)).unwrap();
        let google_provider = google.then(|| {
            let settings = oidc::Settings {
                issuer: google_mock.issuer(),
                client_id: google::CLIENT_ID.into(),
                client_secret: google::CLIENT_SECRET.into(),
                redirect_uri: format!("{PUBLIC_URL}/auth/callback"),
                timeout: TIMEOUT,
                retry_after: TIMEOUT,
                dialect: Arc::new(Standard),
            };
            Arc::new(Provider::new(settings).unwrap())
        });
        let router =
            crate::app_with(&config, google_provider, Some(Arc::new(ms)), None).await.unwrap();
        Self { router, microsoft, google: google_mock, tenant, dir }
    }

    /// A browser with no cookie yet.
    pub fn browser(&self) -> Browser<'_> {
        Browser { app: self, cookie: None }
    }

    /// A count from the app's database.
    pub async fn count(&self, sql: &str) -> i64 {
        let url = step04_solution::db::url(None, self.dir.path());
        let pool = step04_solution::db::open_with(&url, Some(crate::db::migrations)).await.unwrap();
        let (count,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        count
    }

    /// Links made, to any account.
    pub async fn links(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM linked_accounts").await
    }

    /// Accounts of Microsoft's users, each its own.
    pub async fn microsoft_accounts(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM users WHERE provider = 'microsoft'").await
    }

    async fn answers(&self, idp: Idp, code: &str, claims: &Map<String, Value>) {
        match idp {
            Idp::Microsoft => self.microsoft.answers(code, claims).await,
            Idp::Google => self.google.answers(code, claims).await,
        }
    }

    async fn send(&self, request: Request<Body>) -> Response {
        self.router.clone().call(request).await.unwrap()
    }
}

/// A sign-in the app sent the browser to a provider for.
pub struct Started {
    pub idp: Idp,
    pub state: String,
    pub nonce: String,
}

/// One browser: its session cookie, kept from answer to answer.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
}

impl Browser<'_> {
    pub async fn get(&mut self, uri: &str) -> Response {
        self.send(Request::get(uri), Body::empty()).await
    }

    /// A form posted from one of the app's own pages: `Origin` is ours.
    pub async fn post(&mut self, uri: &str, form: &str) -> Response {
        let request = Request::post(uri)
            .header(header::ORIGIN, PUBLIC_URL)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(request, Body::from(form.to_owned())).await
    }

    async fn send(&mut self, mut request: axum::http::request::Builder, body: Body) -> Response {
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, format!("session={cookie}"));
        }
        let answer = self.app.send(request.body(body).unwrap()).await;
        if let Some(cookie) = session_cookie(&answer) {
            self.cookie = (!cookie.is_empty()).then_some(cookie);
        }
        answer
    }

    /// A new password account, `username`, signed in here.
    pub async fn register(&mut self, username: &str) {
        let form = format!("username={username}&password=wonderland-rabbit-42");
        let answer = self.post("/register", &form).await;
        assert_cabinet(&answer);
    }

    /// `GET /login/<provider>`: a plain sign-in.
    pub async fn begin(&mut self, idp: Idp) -> Started {
        let answer = self.get(&format!("/login/{}", idp.name())).await;
        self.sent_to(idp, answer)
    }

    /// `POST /account/link/<provider>`, from the cabinet's button.
    pub async fn begin_link(&mut self, idp: Idp) -> Started {
        let answer = self.post(&format!("/account/link/{}", idp.name()), "").await;
        self.sent_to(idp, answer)
    }

    /// The sign-in that `answer` sends the browser to `idp` for.
    fn sent_to(&self, idp: Idp, answer: Response) -> Started {
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "sent to {idp:?}");
        let location = answer.headers()[header::LOCATION].to_str().unwrap();
        let url = reqwest::Url::parse(location).unwrap();
        let mut address = url.clone();
        address.set_query(None);
        let authorize = match idp {
            Idp::Microsoft => self.app.microsoft.authorize(self.app.tenant),
            Idp::Google => format!("{}/authorize", self.app.google.issuer()),
        };
        assert_eq!(address.as_str(), authorize, "sent to {idp:?}'s sign-in");
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        Started { idp, state: query["state"].clone(), nonce: query["nonce"].clone() }
    }

    /// Back from the provider at its own callback, whose token endpoint
    /// gives an ID token of `claims` for the code it sent.
    pub async fn come_back(&mut self, started: &Started, claims: Map<String, Value>) -> Response {
        self.come_back_at(started.idp.callback(), started, claims).await
    }

    /// Back from `started`'s provider at `callback`, whichever it is.
    pub async fn come_back_at(
        &mut self,
        callback: &str,
        started: &Started,
        claims: Map<String, Value>,
    ) -> Response {
        let code = key::fresh_code();
        self.app.answers(started.idp, &code, &claims).await;
        self.get(&format!("{callback}?code={code}&state={}", started.state)).await
    }

    /// An honest sign-in with Microsoft as `person`, start to end.
    pub async fn sign_in_with_microsoft(&mut self, person: &Person) -> Response {
        let started = self.begin(Idp::Microsoft).await;
        let claims = self.app.microsoft.claims(person, &started.nonce);
        self.come_back(&started, claims).await
    }

    /// A link of `person`'s Microsoft account, asked for and finished.
    pub async fn link_microsoft(&mut self, person: &Person) -> Response {
        let started = self.begin_link(Idp::Microsoft).await;
        let claims = self.app.microsoft.claims(person, &started.nonce);
        self.come_back(&started, claims).await
    }

    /// An honest sign-in with Google as its user `sub`.
    pub async fn sign_in_with_google(&mut self, sub: &str) -> Response {
        let started = self.begin(Idp::Google).await;
        let claims = self.app.google.claims(sub, &started.nonce);
        self.come_back(&started, claims).await
    }

    /// `GET /api/me`.
    pub async fn me(&mut self) -> (StatusCode, Value) {
        let answer = self.get("/api/me").await;
        let status = answer.status();
        (status, serde_json::from_str(&text(answer).await).unwrap())
    }

    /// Who is signed in here, if anyone.
    pub async fn username(&mut self) -> Option<String> {
        match self.me().await {
            (StatusCode::OK, me) => Some(me["username"].as_str().unwrap().to_owned()),
            (StatusCode::UNAUTHORIZED, _) => None,
            (status, me) => panic!("/api/me answered {status}: {me}"),
        }
    }

    /// The providers `/api/me` says the account signs in with.
    pub async fn providers(&mut self) -> Vec<String> {
        let (status, me) = self.me().await;
        assert_eq!(status, StatusCode::OK, "{me}");
        serde_json::from_value(me["providers"].clone()).unwrap()
    }
}

/// The answer of a sign-in (or a link) that went through.
#[track_caller]
pub fn assert_cabinet(answer: &Response) {
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(answer.headers()[header::LOCATION], "/cabinet");
}

/// The value the answer sets the `session` cookie to, if it sets one.
pub fn session_cookie(answer: &Response) -> Option<String> {
    answer.headers().get_all(header::SET_COOKIE).iter().find_map(|value| {
        let value = value.to_str().ok()?.strip_prefix("session=")?;
        Some(value.split(';').next()?.to_owned())
    })
}

pub async fn text(answer: Response) -> String {
    let body = axum::body::to_bytes(answer.into_body(), 1 << 20).await.unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}
