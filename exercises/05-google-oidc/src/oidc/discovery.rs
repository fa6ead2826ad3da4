//! OpenID Connect Discovery: the provider says where its endpoints and
//! keys are and how it signs, at `$OIDC_ISSUER/.well-known/openid-configuration`.
//! Nothing else about the provider is written in the app.

use jsonwebtoken::Algorithm;
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl,
    StandardRevocableToken, TokenUrl,
    basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse},
    url::Host,
};
use reqwest::Url;
use serde::Deserialize;

use super::{Error, Settings, exchange::TokenResponse, http};

/// oauth2's client with the two endpoints this flow uses set: the
/// authorization endpoint and the token endpoint.
pub type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What the app takes from the discovery document.
pub struct Discovered {
    /// The document's `issuer`: the one the app was given, or (in a
    /// provider's own [`super::Dialect`]) a pattern of it.
    pub issuer: String,
    pub oauth: OAuthClient,
    pub jwks_uri: Url,
    /// The algorithms ID tokens may be signed with: those the provider
    /// advertises, less any that are not a public-key signature.
    pub algorithms: Vec<Algorithm>,
}

/// The fields of the document this flow needs (OpenID Connect Discovery
/// 1.0, section 3); the others are ignored.
#[derive(Deserialize)]
struct Document {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    id_token_signing_alg_values_supported: Vec<String>,
    /// Absent means `client_secret_basic` only.
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Public-key algorithms only. With an HMAC algorithm (HS256) the key is a
/// shared secret, and a token could be "signed" with something public:
/// the provider's public key, say. `none` is no signature at all.
const SIGNATURES: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

pub async fn fetch(http: &reqwest::Client, settings: &Settings) -> Result<Discovered, Error> {
    let issuer = Url::parse(&settings.issuer)
        .map_err(|e| Error::Nonsense(format!("OIDC_ISSUER {:?}: {e}", settings.issuer)))?;
    if !transport_is_safe(&issuer) {
        return Err(Error::Nonsense(format!(
            "OIDC_ISSUER {:?} is not an HTTPS address (plain http is for a provider on this \
             machine only: 127.0.0.1, [::1] or localhost)",
            settings.issuer
        )));
    }
    let url = format!("{}/.well-known/openid-configuration", settings.issuer.trim_end_matches('/'));
    let url = Url::parse(&url).map_err(|e| Error::Nonsense(format!("OIDC_ISSUER: {e}")))?;
    let document: Document = http::get_json(http, url, "the discovery document").await?;
    let discovered = read(document, settings)?;
    tracing::info!(issuer = %settings.issuer, "OpenID provider discovered");
    Ok(discovered)
}

/// Whether secrets may travel to `url`: HTTPS, or plain HTTP to this very
/// machine (the mock provider), where nobody on the network can read or
/// change them. Anywhere else, plain HTTP would hand the code, the
/// client's secret and the keys that tokens are checked with to anyone on
/// the way.
fn transport_is_safe(url: &Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            // RFC 6761 section 6.3: `localhost` is this machine.
            Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        },
        _ => false,
    }
}

fn read(document: Document, settings: &Settings) -> Result<Discovered, Error> {
    let nonsense = |problem: String| Error::Nonsense(format!("discovery: {problem}"));
    // Section 4.3: the document must be about the issuer that was asked,
    // exactly. Otherwise anyone who can answer at that address could name
    // themselves the issuer whose tokens are then accepted.
    if !settings.dialect.describes(&settings.issuer, &document.issuer) {
        return Err(nonsense(format!(
            "issuer is {:?}, not OIDC_ISSUER {:?}",
            document.issuer, settings.issuer
        )));
    }
    let secure = settings.issuer.starts_with("https://");
    let endpoint = |name: &str, value: &str| {
        let url = Url::parse(value).map_err(|e| nonsense(format!("{name}: {e}")))?;
        // An HTTPS issuer keeps every secret on HTTPS; a local one keeps
        // them on this machine or on HTTPS.
        if (secure && url.scheme() != "https") || !transport_is_safe(&url) {
            return Err(nonsense(format!("{name} {value:?} is not an HTTPS address")));
        }
        Ok(url)
    };
    let auth_url =
        AuthUrl::from_url(endpoint("authorization_endpoint", &document.authorization_endpoint)?);
    let token_url = TokenUrl::from_url(endpoint("token_endpoint", &document.token_endpoint)?);
    let jwks_uri = endpoint("jwks_uri", &document.jwks_uri)?;
    let algorithms: Vec<Algorithm> = (document.id_token_signing_alg_values_supported.iter())
        .filter_map(|name| name.parse().ok())
        .filter(|alg| SIGNATURES.contains(alg))
        .collect();
    if algorithms.is_empty() {
        return Err(nonsense(format!(
            "no public-key algorithm among id_token_signing_alg_values_supported {:?}",
            document.id_token_signing_alg_values_supported
        )));
    }
    let auth_type = auth_type(document.token_endpoint_auth_methods_supported.as_deref())
        .ok_or_else(|| nonsense("the token endpoint takes no client secret".into()))?;
    let redirect_uri = RedirectUrl::new(settings.redirect_uri.clone())
        .map_err(|e| Error::Nonsense(format!("PUBLIC_URL: {e}")))?;
    let oauth: OAuthClient = oauth2::Client::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(settings.client_secret.clone()))
        .set_auth_type(auth_type)
        .set_auth_uri(auth_url)
        .set_token_uri(token_url)
        .set_redirect_uri(redirect_uri);
    Ok(Discovered { issuer: document.issuer, oauth, jwks_uri, algorithms })
}

/// How the client proves itself at the token endpoint: `client_secret_basic`
/// (the secret in an `Authorization: Basic` header, RFC 6749 section
/// 2.3.1's preference and the discovery default) when the provider takes
/// it, else `client_secret_post` (the secret in the form).
fn auth_type(supported: Option<&[String]>) -> Option<AuthType> {
    let Some(supported) = supported else {
        return Some(AuthType::BasicAuth);
    };
    let takes = |method: &str| supported.iter().any(|m| m == method);
    if takes("client_secret_basic") {
        Some(AuthType::BasicAuth)
    } else if takes("client_secret_post") {
        Some(AuthType::RequestBody)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wiremock::{
        Mock, ResponseTemplate,
        matchers::{method, path},
    };

    use super::*;
    use crate::oidc::test_provider::{self, MockProvider};

    #[tokio::test]
    async fn the_document_is_fetched_once_and_kept() {
        let mock = MockProvider::start().await;
        let provider = mock.provider();
        let first = provider.discovered().await.unwrap();
        assert_eq!(first.algorithms, [Algorithm::RS256]);
        assert_eq!(first.jwks_uri.as_str(), format!("{}/jwks", mock.issuer()));
        provider.discovered().await.unwrap();
        assert_eq!(mock.requests_to(test_provider::DISCOVERY).await, 1);
    }

    #[tokio::test]
    async fn a_failed_discovery_is_remembered_for_a_moment_then_tried_again() {
        let mock = MockProvider::start_without_discovery().await;
        let provider = mock.provider();
        Mock::given(method("GET"))
            .and(path(test_provider::DISCOVERY))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .mount(mock.server())
            .await;
        assert!(matches!(provider.discovered().await, Err(Error::Unreachable(_))));
        mock.mount_discovery(mock.document()).await;
        // The provider was down a moment ago: not asked again yet.
        assert!(matches!(provider.discovered().await, Err(Error::Unreachable(_))));
        assert_eq!(mock.requests_to(test_provider::DISCOVERY).await, 1);
        tokio::time::sleep(test_provider::RETRY_AFTER).await;
        assert!(provider.discovered().await.is_ok());
    }

    #[tokio::test]
    async fn a_document_about_another_issuer_is_refused() {
        let mock = MockProvider::start_without_discovery().await;
        let mut document = mock.document();
        document["issuer"] = json!(format!("{}/impostor", mock.issuer()));
        mock.mount_discovery(document).await;
        assert!(matches!(mock.provider().discovered().await, Err(Error::Nonsense(_))));
    }

    #[tokio::test]
    async fn only_public_key_algorithms_are_kept() {
        let mock = MockProvider::start_without_discovery().await;
        let mut document = mock.document();
        document["id_token_signing_alg_values_supported"] =
            json!(["none", "HS256", "RS256", "ES256"]);
        mock.mount_discovery(document).await;
        let provider = mock.provider();
        let discovered = provider.discovered().await.unwrap();
        assert_eq!(discovered.algorithms, [Algorithm::RS256, Algorithm::ES256]);
    }

    #[tokio::test]
    async fn a_provider_that_signs_only_with_shared_secrets_is_refused() {
        let mock = MockProvider::start_without_discovery().await;
        let mut document = mock.document();
        document["id_token_signing_alg_values_supported"] = json!(["HS256", "none"]);
        mock.mount_discovery(document).await;
        assert!(matches!(mock.provider().discovered().await, Err(Error::Nonsense(_))));
    }

    #[tokio::test]
    async fn a_document_that_is_not_json_is_nonsense() {
        let mock = MockProvider::start_without_discovery().await;
        Mock::given(method("GET"))
            .and(path(test_provider::DISCOVERY))
            .respond_with(
                ResponseTemplate::new(200).set_body_string("<html>We'll be right back</html>"),
            )
            .mount(mock.server())
            .await;
        assert!(matches!(mock.provider().discovered().await, Err(Error::Nonsense(_))));
    }

    #[tokio::test]
    async fn a_slow_discovery_gives_up_at_the_bound() {
        let mock = MockProvider::start_without_discovery().await;
        Mock::given(method("GET"))
            .and(path(test_provider::DISCOVERY))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(mock.document())
                    .set_delay(test_provider::SLOW),
            )
            .mount(mock.server())
            .await;
        let started = std::time::Instant::now();
        assert!(matches!(mock.provider().discovered().await, Err(Error::Unreachable(_))));
        assert!(started.elapsed() < test_provider::SLOW, "{:?}", started.elapsed());
    }

    #[test]
    fn the_secret_goes_in_the_header_when_the_provider_takes_it() {
        let methods = |list: &[&str]| list.iter().map(|m| m.to_string()).collect::<Vec<_>>();
        assert!(matches!(auth_type(None), Some(AuthType::BasicAuth)));
        let both = methods(&["client_secret_post", "client_secret_basic"]);
        assert!(matches!(auth_type(Some(&both)), Some(AuthType::BasicAuth)));
        let post = methods(&["client_secret_post"]);
        assert!(matches!(auth_type(Some(&post)), Some(AuthType::RequestBody)));
        assert!(auth_type(Some(&methods(&["private_key_jwt"]))).is_none());
    }

    #[test]
    fn an_https_issuer_keeps_every_endpoint_on_https() {
        let settings =
            Settings { issuer: "https://accounts.example".into(), ..test_provider::settings("x") };
        let document = Document {
            issuer: settings.issuer.clone(),
            authorization_endpoint: "https://accounts.example/authorize".into(),
            token_endpoint: "http://accounts.example/token".into(),
            jwks_uri: "https://accounts.example/jwks".into(),
            id_token_signing_alg_values_supported: vec!["RS256".into()],
            token_endpoint_auth_methods_supported: None,
        };
        assert!(matches!(read(document, &settings), Err(Error::Nonsense(_))));
    }

    #[tokio::test]
    async fn a_document_too_large_to_be_one_is_nonsense() {
        let mock = MockProvider::start_without_discovery().await;
        let mut document = mock.document();
        document["padding"] = json!("x".repeat(http::MAX_BODY));
        mock.mount_discovery(document).await;
        let answer = mock.provider().discovered().await;
        assert!(matches!(&answer, Err(Error::Nonsense(why)) if why.contains("more than")));
    }

    #[test]
    fn plain_http_is_only_for_this_machine() {
        for safe in [
            "https://accounts.google.com",
            "http://127.0.0.1:5001",
            "http://127.1.2.3",
            "http://[::1]:5001",
            "http://localhost:5001",
        ] {
            assert!(transport_is_safe(&Url::parse(safe).unwrap()), "{safe}");
        }
        for unsafe_ in [
            "http://accounts.google.com",
            "http://10.0.0.7:5001",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "ftp://127.0.0.1",
        ] {
            assert!(!transport_is_safe(&Url::parse(unsafe_).unwrap()), "{unsafe_}");
        }
    }

    #[tokio::test]
    async fn a_plain_http_issuer_elsewhere_is_refused_before_it_is_asked() {
        let settings = test_provider::settings("http://accounts.example");
        let http = http::client(settings.timeout).unwrap();
        let answer = fetch(&http, &settings).await;
        assert!(
            matches!(&answer, Err(Error::Nonsense(why)) if why.contains("not an HTTPS address")),
            "{:?}",
            answer.err()
        );
    }

    #[test]
    fn a_local_issuer_keeps_every_endpoint_local_or_on_https() {
        let settings = test_provider::settings("http://127.0.0.1:5001");
        let document = |token_endpoint: &str| Document {
            issuer: settings.issuer.clone(),
            authorization_endpoint: "http://127.0.0.1:5001/authorize".into(),
            token_endpoint: token_endpoint.into(),
            jwks_uri: "https://accounts.example/jwks".into(),
            id_token_signing_alg_values_supported: vec!["RS256".into()],
            token_endpoint_auth_methods_supported: None,
        };
        assert!(read(document("http://127.0.0.1:5001/token"), &settings).is_ok());
        let elsewhere = read(document("http://accounts.example/token"), &settings);
        assert!(matches!(elsewhere, Err(Error::Nonsense(_))));
    }
}
