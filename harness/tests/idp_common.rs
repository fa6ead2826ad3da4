//! What the mock provider's tests share: one signing key per test binary, a
//! provider with the fixtures' users and two test clients, and an app that
//! signs in the way a step's server would: discovery, the `oauth2` crate
//! for the code flow, `jsonwebtoken` against the JWKS for the ID token.

#![allow(dead_code)]

use std::{
    collections::HashMap,
    sync::OnceLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use harness::idp::{Client, Config, Idp, Options, SigningKey, TestUser};
use jsonwebtoken::{
    Algorithm, DecodingKey, Validation, decode, decode_header, errors::ErrorKind, jwk::JwkSet,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, HttpClientError, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenUrl,
    basic::{
        BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
        BasicTokenType,
    },
    url::Url,
};
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "test-client";
/// Spaces and symbols: client_secret_basic must form-encode it.
pub const SECRET: &str = "test secret & more: 100%";
/// Nothing listens there: the tests read the redirect, never follow it.
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
pub const OTHER_CLIENT_ID: &str = "other-client";
pub const OTHER_SECRET: &str = "other-secret";

static KEY: OnceLock<SigningKey> = OnceLock::new();

/// One RSA key for every provider of a test binary.
pub fn key() -> SigningKey {
    KEY.get_or_init(|| SigningKey::generate().expect("an RSA key")).clone()
}

pub fn options() -> Options {
    Options { key: Some(key()), ..Options::default() }
}

pub async fn start() -> Idp {
    start_with(options()).await
}

pub async fn start_with(options: Options) -> Idp {
    let mut config = Config::fixtures().expect("fixtures/idp.toml loads");
    let mut client = Client::new(CLIENT_ID, SECRET, [REDIRECT_URI]);
    client.post_logout_redirect_uris = vec!["http://127.0.0.1:9/bye".into()];
    config.clients.push(client);
    config.clients.push(Client::new(OTHER_CLIENT_ID, OTHER_SECRET, [REDIRECT_URI]));
    Idp::start(config, options).await.expect("the provider starts")
}

pub fn alice(idp: &Idp) -> TestUser {
    idp.user("alice").expect("alice is in fixtures/idp.toml")
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct IdTokenField {
    pub id_token: String,
}
impl ExtraTokenFields for IdTokenField {}

pub type Tokens = StandardTokenResponse<IdTokenField, BasicTokenType>;
pub type TokenError = RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>;
pub type OidcClient = oauth2::Client<
    BasicErrorResponse,
    Tokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// One sign-in under way: what the app keeps between the redirect to the
/// provider and the callback.
pub struct Flow {
    pub url: Url,
    pub state: String,
    pub nonce: String,
    pub verifier: PkceCodeVerifier,
}

impl Flow {
    pub fn verifier(&self) -> PkceCodeVerifier {
        PkceCodeVerifier::new(self.verifier.secret().clone())
    }
}

/// A relying party, as a step's server is one.
pub struct App {
    pub http: reqwest::Client,
    pub oauth: OidcClient,
    pub issuer: String,
    pub discovery: Value,
    pub client_id: String,
}

pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .expect("an HTTP client")
}

impl App {
    /// The test client, authenticating with client_secret_basic.
    pub async fn new(idp: &Idp) -> App {
        App::with(idp, CLIENT_ID, SECRET, AuthType::BasicAuth).await
    }

    pub async fn with(idp: &Idp, client_id: &str, secret: &str, auth: AuthType) -> App {
        let http = http_client(Duration::from_secs(5));
        let discovery: Value = http
            .get(format!("{}/.well-known/openid-configuration", idp.issuer()))
            .send()
            .await
            .expect("discovery answers")
            .json()
            .await
            .expect("discovery is JSON");
        let endpoint = |name: &str| discovery[name].as_str().expect(name).to_owned();
        let oauth = oauth2::Client::new(ClientId::new(client_id.into()))
            .set_client_secret(ClientSecret::new(secret.into()))
            .set_auth_uri(AuthUrl::new(endpoint("authorization_endpoint")).unwrap())
            .set_token_uri(TokenUrl::new(endpoint("token_endpoint")).unwrap())
            .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap())
            .set_auth_type(auth);
        App {
            http,
            oauth,
            issuer: idp.issuer().to_owned(),
            discovery,
            client_id: client_id.to_owned(),
        }
    }

    pub fn endpoint(&self, name: &str) -> String {
        self.discovery[name].as_str().expect(name).to_owned()
    }

    /// The redirect to the provider, as `GET /login/google` makes it.
    pub fn begin(&self) -> Flow {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random().secret().clone();
        let (url, state) = self
            .oauth
            .authorize_url(CsrfToken::new_random)
            .add_scopes(["openid", "email", "profile"].map(|s| Scope::new(s.into())))
            .add_extra_param("nonce", &nonce)
            .set_pkce_challenge(challenge)
            .url();
        Flow { url, state: state.secret().clone(), nonce, verifier }
    }

    /// What the browser gets at the authorization endpoint.
    pub async fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::Response {
        self.http.get(url).send().await.expect("the provider answers")
    }

    /// The code the provider sends back for `flow`, after checking that it
    /// came back to the redirect URI with the state.
    pub async fn code_for(&self, flow: &Flow) -> String {
        let answer = self.get(flow.url.clone()).await;
        let (to, params) = redirect(&answer);
        assert_eq!(to, REDIRECT_URI, "{params:?}");
        assert_eq!(params.get("state"), Some(&flow.state), "{params:?}");
        params.get("code").unwrap_or_else(|| panic!("no code in {params:?}")).clone()
    }

    pub async fn exchange(
        &self,
        code: &str,
        verifier: PkceCodeVerifier,
    ) -> Result<Tokens, TokenError> {
        self.oauth
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(verifier)
            .request_async(&self.http)
            .await
    }

    /// A whole sign-in as `user`: the flow, and the token answer.
    pub async fn sign_in(&self, idp: &Idp, user: &TestUser) -> (Flow, Tokens) {
        idp.approve_next_as(user);
        let flow = self.begin();
        let code = self.code_for(&flow).await;
        let tokens = self
            .exchange(&code, flow.verifier())
            .await
            .unwrap_or_else(|e| panic!("the exchange failed: {}", token_error_words(&e)));
        (flow, tokens)
    }

    pub async fn userinfo(&self, access_token: &str) -> reqwest::Response {
        self.http
            .get(self.endpoint("userinfo_endpoint"))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("userinfo answers")
    }

    pub async fn jwks(&self) -> JwkSet {
        self.get(self.endpoint("jwks_uri")).await.json().await.expect("a JWKS")
    }

    /// What a careful step does with an ID token: the key by `kid` from the
    /// JWKS, RS256 only, `iss`, `aud`, `exp`, `nbf`, then `azp` and `nonce`.
    pub async fn verify(&self, id_token: &str, nonce: &str) -> Result<Value, Rejected> {
        let header = decode_header(id_token).map_err(|_| Rejected::Header)?;
        if header.alg != Algorithm::RS256 {
            return Err(Rejected::Algorithm);
        }
        let jwks = self.jwks().await;
        let jwk =
            header.kid.as_deref().and_then(|kid| jwks.find(kid)).ok_or(Rejected::UnknownKid)?;
        let key = DecodingKey::from_jwk(jwk).expect("an RSA JWK");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        let claims = decode::<Value>(id_token, &key, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => Rejected::Signature,
                ErrorKind::InvalidIssuer => Rejected::Issuer,
                ErrorKind::InvalidAudience => Rejected::Audience,
                ErrorKind::ExpiredSignature => Rejected::Expired,
                ErrorKind::ImmatureSignature => Rejected::NotYetValid,
                other => Rejected::Other(format!("{other:?}")),
            })?
            .claims;
        let several_audiences = claims["aud"].as_array().is_some_and(|a| a.len() > 1);
        match claims["azp"].as_str() {
            Some(azp) if azp != self.client_id => return Err(Rejected::Azp),
            None if several_audiences => return Err(Rejected::Azp),
            _ => {}
        }
        match claims["nonce"].as_str() {
            None => Err(Rejected::NonceMissing),
            Some(sent) if sent != nonce => Err(Rejected::NonceWrong),
            Some(_) => Ok(claims),
        }
    }

    /// Every defect of an ID token, each looked for on its own (where
    /// [`App::verify`] stops at the first): `alg`, `kid`, `signature`,
    /// `iss`, `aud`, `azp`, `iat`, `exp`, `nbf`, `nonce`. An honest token
    /// has none; a faulty one exactly the fault's.
    pub async fn defects(&self, id_token: &str, nonce: &str) -> Vec<&'static str> {
        let parts: Vec<&str> = id_token.split('.').collect();
        assert_eq!(parts.len(), 3, "a compact JWS: {id_token}");
        let (header, claims) = (part(parts[0]), part(parts[1]));
        let mut found = Vec::new();
        if header["alg"] != "RS256" {
            found.push("alg");
        }
        let jwks = self.jwks().await;
        let jwk = match header["kid"].as_str().and_then(|kid| jwks.find(kid)) {
            Some(jwk) => jwk,
            None => {
                found.push("kid");
                &jwks.keys[0]
            }
        };
        let signing_input = format!("{}.{}", parts[0], parts[1]);
        if !rs256_verifies(jwk, &signing_input, parts[2]) {
            found.push("signature");
        }
        if claims["iss"] != self.issuer.as_str() {
            found.push("iss");
        }
        let audiences: Vec<&str> = match &claims["aud"] {
            Value::String(aud) => vec![aud.as_str()],
            Value::Array(auds) => auds.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.contains(&self.client_id.as_str()) {
            found.push("aud");
        }
        let azp_ok = match claims["azp"].as_str() {
            Some(azp) => azp == self.client_id,
            None => audiences.len() == 1,
        };
        if !azp_ok {
            found.push("azp");
        }
        let now = now();
        if claims["iat"].as_u64().is_none_or(|iat| iat > now + 60) {
            found.push("iat");
        }
        if claims["exp"].as_u64().is_none_or(|exp| exp <= now) {
            found.push("exp");
        }
        if claims["nbf"].as_u64().is_some_and(|nbf| nbf > now + 60) {
            found.push("nbf");
        }
        if claims["nonce"].as_str() != Some(nonce) {
            found.push("nonce");
        }
        found
    }
}

/// Why [`App::verify`] refused a token.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    Header,
    Algorithm,
    UnknownKid,
    Signature,
    Issuer,
    Audience,
    Azp,
    Expired,
    NotYetValid,
    NonceMissing,
    NonceWrong,
    Other(String),
}

/// A JWS part as JSON.
pub fn part(encoded: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(encoded).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// The claims of a token, unverified: to look at, never to trust.
pub fn claims_of(id_token: &str) -> Value {
    part(id_token.split('.').nth(1).expect("a payload"))
}

fn rs256_verifies(jwk: &jsonwebtoken::jwk::Jwk, signing_input: &str, signature: &str) -> bool {
    let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
        panic!("the JWKS holds RSA keys only");
    };
    let number = |b64: &str| BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(b64).unwrap());
    let key = RsaPublicKey::new(number(&rsa.n), number(&rsa.e)).expect("an RSA key");
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    let digest = Sha256::digest(signing_input.as_bytes());
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &signature).is_ok()
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Where a redirect goes (without its query) and the query's parameters.
pub fn redirect(answer: &reqwest::Response) -> (String, HashMap<String, String>) {
    assert_eq!(answer.status(), 302, "a redirect, not {}", answer.status());
    let location = answer.headers()["location"].to_str().expect("an ASCII Location");
    let url = Url::parse(location).expect("an absolute Location");
    let params = url.query_pairs().into_owned().collect();
    let mut base = url.clone();
    base.set_query(None);
    (base.to_string(), params)
}

/// The OAuth error of a failed exchange (`invalid_grant`), or what else
/// went wrong.
pub fn token_error_words(error: &TokenError) -> String {
    match error {
        RequestTokenError::ServerResponse(response) => response.error().to_string(),
        RequestTokenError::Request(error) => format!("request failed: {error}"),
        RequestTokenError::Parse(error, body) => {
            format!("parse: {error}: {}", String::from_utf8_lossy(body))
        }
        RequestTokenError::Other(other) => format!("other: {other}"),
    }
}

/// An authorization URL with exactly `params` (for requests oauth2 would
/// never write).
pub fn authorize_url(idp: &Idp, params: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    format!("{}/authorize?{}", idp.issuer(), query.finish())
}

/// A valid authorization request of the test client, to start from.
pub fn good_params(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CLIENT_ID.into()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("scope", "openid email profile".into()),
        ("state", "the-state".into()),
        ("nonce", "the-nonce".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

/// A PKCE pair: (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    (verifier.secret().clone(), challenge.as_str().to_owned())
}
