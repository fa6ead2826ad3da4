//! An OpenID provider for the unit tests: wiremock answering discovery and
//! the JWKS, and RSA keys to sign the tests' ID tokens with.

use std::{
    sync::{
        LazyLock,
        atomic::{AtomicU8, Ordering},
    },
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::{
    RsaPrivateKey,
    pkcs1::EncodeRsaPrivateKey,
    pkcs8::{EncodePublicKey, LineEnding},
    traits::PublicKeyParts,
};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use super::{Provider, Settings};

pub const CLIENT_ID: &str = "authlings-test";
pub const CLIENT_SECRET: &str = "test-secret";
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const JWKS: &str = "/jwks";
pub const TOKEN: &str = "/token";

/// The tests' bound on a request's talk with the provider, instead of 10 s.
pub const TIMEOUT: Duration = Duration::from_millis(500);
/// How long the tests' provider's failures are remembered, instead of 5 s.
pub const RETRY_AFTER: Duration = Duration::from_millis(300);
/// An answer this late is past [`TIMEOUT`].
pub const SLOW: Duration = Duration::from_secs(3);

/// An RS256 key pair, as a provider would hold it.
pub struct TestKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Value,
    /// SPKI PEM: what an attacker would key an HS256 "signature" with.
    pub public_pem: String,
}

impl TestKey {
    fn generate(kid: &str) -> Self {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("an RSA key");
        let public = private.to_public_key();
        let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
        let der = private.to_pkcs1_der().expect("PKCS#1 DER");
        Self {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwk: json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}),
            public_pem: public.to_public_key_pem(LineEnding::LF).expect("PEM"),
        }
    }

    /// `claims` signed with this key, RS256, naming it by its `kid`.
    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("a signed token")
    }
}

/// The key the provider signs with; made once for all the tests.
pub fn key() -> &'static TestKey {
    static KEY: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("key-1"));
    &KEY
}

/// The key it rotates to.
pub fn other_key() -> &'static TestKey {
    static KEY: LazyLock<TestKey> = LazyLock::new(|| TestKey::generate("key-2"));
    &KEY
}

pub fn settings(issuer: &str) -> Settings {
    Settings {
        issuer: issuer.to_owned(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uri: "http://localhost:5000/auth/callback".into(),
        timeout: TIMEOUT,
        retry_after: RETRY_AFTER,
        dialect: std::sync::Arc::new(super::Standard),
    }
}

/// An address where nothing listens: a provider that is down.
pub fn closed_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("its address");
    drop(listener);
    format!("http://{address}")
}

pub struct MockProvider {
    server: MockServer,
    /// Each mount of a document outranks the ones before it.
    next_priority: AtomicU8,
}

impl MockProvider {
    /// A provider that publishes its discovery document and [`key`].
    pub async fn start() -> Self {
        let mock = Self::start_without_discovery().await;
        mock.mount_discovery(mock.document()).await;
        mock
    }

    /// A provider that publishes [`key`], and no discovery document yet.
    pub async fn start_without_discovery() -> Self {
        let mock = Self { server: MockServer::start().await, next_priority: AtomicU8::new(200) };
        mock.mount_jwks(mock.jwks(&[key()])).await;
        mock
    }

    pub fn server(&self) -> &MockServer {
        &self.server
    }

    pub fn issuer(&self) -> String {
        self.server.uri()
    }

    /// A client of this provider, which has fetched nothing yet.
    pub fn provider(&self) -> Provider {
        Provider::new(settings(&self.issuer())).expect("a provider")
    }

    /// The discovery document Google would publish, at this address.
    pub fn document(&self) -> Value {
        let issuer = self.issuer();
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}{TOKEN}"),
            "jwks_uri": format!("{issuer}{JWKS}"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["plain", "S256"],
        })
    }

    pub fn jwks(&self, keys: &[&TestKey]) -> Value {
        json!({ "keys": keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>() })
    }

    pub async fn mount_discovery(&self, document: Value) {
        self.mount(DISCOVERY, ResponseTemplate::new(200).set_body_json(document)).await;
    }

    pub async fn mount_jwks(&self, jwks: Value) {
        self.mount(JWKS, ResponseTemplate::new(200).set_body_json(jwks)).await;
    }

    /// From now on the JWKS holds [`other_key`] too, as after a rotation.
    pub async fn rotate_keys(&self) {
        self.mount_jwks(self.jwks(&[other_key(), key()])).await;
    }

    async fn mount(&self, at: &str, answer: ResponseTemplate) {
        let priority = self.next_priority.fetch_sub(1, Ordering::Relaxed);
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(answer)
            .with_priority(priority)
            .mount(&self.server)
            .await;
    }

    /// How many requests reached `at`.
    pub async fn requests_to(&self, at: &str) -> usize {
        let requests = self.server.received_requests().await.expect("requests are recorded");
        requests.iter().filter(|request| request.url.path() == at).count()
    }

    /// The claims of an honest ID token for this provider's client,
    /// issued now, with `nonce`.
    pub fn claims(&self, nonce: &str) -> Map<String, Value> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({
            "iss": self.issuer(),
            "azp": CLIENT_ID,
            "aud": CLIENT_ID,
            "sub": "108530463922154213890",
            "email": "alice@example.com",
            "email_verified": true,
            "name": "Alice Liddell",
            "picture": "https://example.com/alice.png",
            "nonce": nonce,
            "iat": now,
            "exp": now + 3600,
        });
        claims.as_object().expect("an object").clone()
    }
}
