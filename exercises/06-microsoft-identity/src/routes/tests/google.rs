//! A provider in Google's shape (step 05's): one issuer, people named by
//! `sub`. The second provider, for links across providers.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_string_contains, method, path},
};

use super::key;

pub const CLIENT_ID: &str = "authlings-test.apps.googleusercontent.example";
pub const CLIENT_SECRET: &str = "google-test-secret";
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const JWKS: &str = "/jwks";
pub const TOKEN: &str = "/token";

/// Carol's id at Google.
pub const CAROL: &str = "108530463922154213890";

pub struct MockGoogle {
    server: MockServer,
}

impl MockGoogle {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let issuer = server.uri();
        let document = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}{TOKEN}"),
            "jwks_uri": format!("{issuer}{JWKS}"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["plain", "S256"],
        });
        for (at, body) in [(DISCOVERY, document), (JWKS, key::google().jwks())] {
            Mock::given(method("GET"))
                .and(path(at))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
                .mount(&server)
                .await;
        }
        Self { server }
    }

    /// `OIDC_ISSUER`.
    pub fn issuer(&self) -> String {
        self.server.uri()
    }

    /// An honest ID token's claims for Google's user `sub`, with `nonce`.
    pub fn claims(&self, sub: &str, nonce: &str) -> Map<String, Value> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({
            "iss": self.issuer(),
            "azp": CLIENT_ID,
            "aud": CLIENT_ID,
            "sub": sub,
            "email": "carol@example.com",
            "email_verified": true,
            "name": "Carol Lewis",
            "nonce": nonce,
            "iat": now,
            "exp": now + 3600,
        });
        claims.as_object().expect("an object").clone()
    }

    /// The token endpoint answers `code`'s exchange, once, with `claims`.
    pub async fn answers(&self, code: &str, claims: &Map<String, Value>) {
        Mock::given(method("POST"))
            .and(path(TOKEN))
            .and(body_string_contains(format!("code={code}")))
            .respond_with(key::token_answer(&key::google().sign(claims)))
            .up_to_n_times(1)
            .mount(&self.server)
            .await;
    }

    /// How many codes the app tried to exchange.
    pub async fn exchanges(&self) -> usize {
        let requests = self.server.received_requests().await.expect("requests are recorded");
        requests.iter().filter(|r| r.url.path() == TOKEN).count()
    }
}
