//! The tests' identity endpoint and price service, and settings that point
//! at them with short time limits.

use std::{
    collections::HashMap,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method, path, query_param},
};

use crate::prices::{PriceClient, Settings};

pub const IDENTITY: &str = "/msi/token";
pub const PRICES: &str = "/prices";
pub const RESOURCE: &str = "api://price-service";
pub const IDENTITY_HEADER: &str = "the-identity-header-secret";
/// Tokens the tests' identity endpoint gives; none may ever show in an
/// error, a log line or an answer.
pub const TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.first-token.sig";
pub const SECOND_TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.second-token.sig";

/// The bound of a whole request in these tests, instead of 10 s.
pub const TIMEOUT: Duration = Duration::from_millis(400);
/// Longer than [`TIMEOUT`]: an endpoint this slow is too slow.
pub const SLOW: Duration = Duration::from_secs(3);
pub const RETRY_AFTER: Duration = Duration::from_millis(500);

pub fn prices() -> Value {
    json!({ "currency": "EUR", "items": [{ "sku": "apple", "price": 0.42 }] })
}

pub struct Mocks {
    pub server: MockServer,
}

impl Mocks {
    pub async fn start() -> Self {
        Self { server: MockServer::start().await }
    }

    /// Settings for these mocks, as the four variables give them.
    pub fn settings(&self) -> Settings {
        let vars = HashMap::from([
            ("IDENTITY_ENDPOINT", format!("{}{IDENTITY}", self.server.uri())),
            ("IDENTITY_HEADER", IDENTITY_HEADER.to_owned()),
            ("PRICE_SERVICE_URL", self.server.uri()),
            ("PRICE_SERVICE_RESOURCE", RESOURCE.to_owned()),
        ]);
        let mut settings =
            Settings::from_lookup(|name| vars.get(name).cloned()).unwrap().expect("configured");
        settings.timeout = TIMEOUT;
        settings.retry_after = RETRY_AFTER;
        settings
    }

    pub fn client(&self) -> PriceClient {
        PriceClient::new(self.settings()).unwrap()
    }

    /// The identity endpoint answers `answer`, to a request that is made
    /// the way App Service wants it (anything else gets wiremock's 404).
    pub async fn identity_answers(&self, answer: ResponseTemplate, times: Option<u64>) {
        let mock = Mock::given(method("GET"))
            .and(path(IDENTITY))
            .and(query_param("resource", RESOURCE))
            .and(query_param("api-version", "2019-08-01"))
            .and(header("x-identity-header", IDENTITY_HEADER))
            .respond_with(answer);
        match times {
            Some(n) => mock.up_to_n_times(n).mount(&self.server).await,
            None => mock.mount(&self.server).await,
        }
    }

    /// The identity endpoint gives `token`, good for `lifetime`.
    pub async fn identity_gives(&self, token: &str, lifetime: Duration) {
        self.identity_answers(token_answer(token, lifetime), None).await;
    }

    /// The price service answers `answer` to `Bearer token`.
    pub async fn service_answers(&self, token: &str, answer: ResponseTemplate, times: Option<u64>) {
        let mock = Mock::given(method("GET"))
            .and(path(PRICES))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(answer);
        match times {
            Some(n) => mock.up_to_n_times(n).mount(&self.server).await,
            None => mock.mount(&self.server).await,
        }
    }

    /// The price service answers [`prices`] to `Bearer token`.
    pub async fn service_takes(&self, token: &str) {
        self.service_answers(token, ResponseTemplate::new(200).set_body_json(prices()), None).await;
    }

    /// How many requests `path` was sent.
    pub async fn requests_to(&self, path: &str) -> usize {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests.iter().filter(|request| request.url.path() == path).count()
    }
}

/// App Service's answer: `expires_on` a string of Unix seconds.
pub fn token_answer(token: &str, lifetime: Duration) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token,
        "expires_on": expires_on(lifetime).to_string(),
        "resource": RESOURCE,
        "token_type": "Bearer",
        "client_id": "00000000-0000-0000-0000-000000000000",
    }))
}

/// Unix seconds, `lifetime` from now.
pub fn expires_on(lifetime: Duration) -> u64 {
    (SystemTime::now() + lifetime).duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub const HOUR: Duration = Duration::from_secs(3600);
