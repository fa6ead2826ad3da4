//! The token request: the app, not the browser, trades the code for the
//! ID token, over a direct connection to the provider.

use oauth2::{
    AuthorizationCode, ExtraTokenFields, PkceCodeVerifier, RequestTokenError,
    StandardTokenResponse,
    basic::{BasicErrorResponse, BasicTokenType},
};
use serde::{Deserialize, Serialize};

use super::{Error, Provider, http};

/// The token endpoint's answer: OAuth's access token, and OpenID
/// Connect's `id_token`, which says who signed in.
pub type TokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

#[derive(Debug, Deserialize, Serialize)]
pub struct IdTokenField {
    /// A compact JWS, checked by [`Provider::validate`] before anything in
    /// it is believed. An answer without one is no OpenID answer.
    pub id_token: String,
}

impl ExtraTokenFields for IdTokenField {}

impl Provider {
    // ANCHOR: exchange
    /// Redeems `code` with the PKCE `verifier` of the sign-in it came back
    /// to, authenticating with the client's secret; answers the ID token.
    pub async fn exchange(&self, code: String, verifier: String) -> Result<String, Error> {
        let discovered = self.discovered().await?;
        // exercise:cut code-exchange
        let answer = discovered
            .oauth
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            // Through `http::send`, not `&self.http`: it caps the answer's
            // size, and takes a 5xx for a provider that is failing.
            .request_async(&|request| http::send(self.http.clone(), request))
            .await
            .map_err(token_error)?;
        Ok(answer.extra_fields().id_token.clone())
        // exercise:as
        // TODO(step 05): trade the code for the ID token at the provider's token
        // endpoint, with the PKCE verifier that proves this server started the
        // sign-in. Send it through `http::send`, which bounds the answer, and
        // sort its errors with `token_error`.
        // See book/src/05-google-oidc.md, "The token request".
        //~ let _ = (discovered, code, verifier);
        //~ todo!("exchange the code for the ID token")
        // exercise:end
    }
    // ANCHOR_END: exchange
}

/// Sorts a failed token request by whose fault it is, for the user's page
/// and the log.
pub fn token_error(error: RequestTokenError<Error, BasicErrorResponse>) -> Error {
    match error {
        // An OAuth error answer: `invalid_grant` and the like. Its
        // description is the provider's text, for the log only.
        RequestTokenError::ServerResponse(answer) => Error::Refused(answer.to_string()),
        // No answer, or one too large or failing (`http::send` sorted it).
        RequestTokenError::Request(error) => error,
        RequestTokenError::Parse(error, _body) => {
            Error::Nonsense(format!("the token endpoint's answer is not usable: {error}"))
        }
        RequestTokenError::Other(problem) => {
            Error::Nonsense(format!("the token endpoint's answer is not usable: {problem}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wiremock::{
        Mock, ResponseTemplate,
        matchers::{body_string_contains, header, method, path},
    };

    use super::*;
    use crate::oidc::test_provider::{self, MockProvider};

    fn token_endpoint() -> wiremock::MockBuilder {
        Mock::given(method("POST")).and(path(test_provider::TOKEN))
    }

    #[tokio::test]
    async fn the_code_and_verifier_are_sent_with_the_secret_in_basic_auth() {
        let mock = MockProvider::start().await;
        // base64("authlings-test:test-secret")
        let basic = "Basic YXV0aGxpbmdzLXRlc3Q6dGVzdC1zZWNyZXQ=";
        token_endpoint()
            .and(header("authorization", basic))
            .and(body_string_contains("grant_type=authorization_code"))
            .and(body_string_contains("code=the-code"))
            .and(body_string_contains("code_verifier=the-verifier"))
            .and(body_string_contains(
                "redirect_uri=http%3A%2F%2Flocalhost%3A5000%2Fauth%2Fcallback",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": "at", "token_type": "Bearer", "id_token": "the.id.token"}),
            ))
            .mount(mock.server())
            .await;
        let id_token = mock.provider().exchange("the-code".into(), "the-verifier".into()).await;
        assert_eq!(id_token.unwrap(), "the.id.token");
    }

    #[tokio::test]
    async fn invalid_grant_is_the_providers_refusal() {
        let mock = MockProvider::start().await;
        token_endpoint()
            .respond_with(ResponseTemplate::new(400).set_body_json(
                json!({"error": "invalid_grant", "error_description": "the code was already used"}),
            ))
            .mount(mock.server())
            .await;
        let answer = mock.provider().exchange("c".into(), "v".into()).await;
        assert!(
            matches!(&answer, Err(Error::Refused(why)) if why.contains("invalid_grant")),
            "{answer:?}"
        );
    }

    #[tokio::test]
    async fn a_failing_provider_is_one_to_try_again_later() {
        let mock = MockProvider::start().await;
        token_endpoint()
            .respond_with(ResponseTemplate::new(500).set_body_string("Internal Server Error"))
            .mount(mock.server())
            .await;
        let answer = mock.provider().exchange("c".into(), "v".into()).await;
        assert!(matches!(answer, Err(Error::Unreachable(_))), "{answer:?}");
    }

    #[tokio::test]
    async fn a_token_answer_too_large_to_be_one_is_nonsense() {
        let mock = MockProvider::start().await;
        let padding = "x".repeat(http::MAX_BODY);
        token_endpoint()
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": padding, "token_type": "Bearer", "id_token": "x"}),
            ))
            .mount(mock.server())
            .await;
        let answer = mock.provider().exchange("c".into(), "v".into()).await;
        assert!(matches!(&answer, Err(Error::Nonsense(why)) if why.contains("more than")));
    }

    #[tokio::test]
    async fn html_that_says_it_is_json_is_nonsense() {
        let mock = MockProvider::start().await;
        token_endpoint()
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/json")
                    .set_body_string("<!doctype html><h1>We'll be right back</h1>"),
            )
            .mount(mock.server())
            .await;
        let answer = mock.provider().exchange("c".into(), "v".into()).await;
        assert!(matches!(answer, Err(Error::Nonsense(_))), "{answer:?}");
    }

    #[tokio::test]
    async fn an_answer_without_an_id_token_is_nonsense() {
        let mock = MockProvider::start().await;
        token_endpoint()
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token": "at", "token_type": "Bearer"})),
            )
            .mount(mock.server())
            .await;
        let answer = mock.provider().exchange("c".into(), "v".into()).await;
        assert!(matches!(answer, Err(Error::Nonsense(_))), "{answer:?}");
    }

    #[tokio::test]
    async fn a_slow_token_endpoint_gives_up_at_the_bound() {
        let mock = MockProvider::start().await;
        token_endpoint()
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(
                        json!({"access_token": "at", "token_type": "Bearer", "id_token": "x"}),
                    )
                    .set_delay(test_provider::SLOW),
            )
            .mount(mock.server())
            .await;
        let started = std::time::Instant::now();
        let answer = mock.provider().exchange("c".into(), "v".into()).await;
        assert!(matches!(answer, Err(Error::Unreachable(_))), "{answer:?}");
        assert!(started.elapsed() < test_provider::SLOW, "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_provider_that_is_down_is_unreachable() {
        let mock = MockProvider::start_without_discovery().await;
        let mut document = mock.document();
        document["token_endpoint"] = json!(format!("{}/token", test_provider::closed_address()));
        mock.mount_discovery(document).await;
        let answer = mock.provider().exchange("c".into(), "v".into()).await;
        assert!(matches!(answer, Err(Error::Unreachable(_))), "{answer:?}");
    }

    #[tokio::test]
    async fn a_redirect_from_the_token_endpoint_is_not_followed() {
        let mock = MockProvider::start().await;
        token_endpoint()
            .respond_with(
                ResponseTemplate::new(307).insert_header("location", "http://127.0.0.1:9/steal"),
            )
            .mount(mock.server())
            .await;
        let answer = mock.provider().exchange("c".into(), "v".into()).await;
        assert!(matches!(answer, Err(Error::Nonsense(_))), "{answer:?}");
    }
}
