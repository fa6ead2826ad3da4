//! `POST /token`: the app, not the browser, trades a code for tokens. The
//! app proves who it is (its secret) and that it started this sign-in (the
//! PKCE verifier); the provider answers an access token and an ID token.

use std::{sync::Arc, time::Instant};

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{
    Client, Fault, Provider, Shape, claims, entra,
    faults::{self, Stage},
    grants::{AccessToken, Code, Redeemed},
    jwt, lock,
    params::{Params, basic_credentials, is_form},
};

pub(super) const PATH: &str = "/token";

/// An OAuth error answer (RFC 6749 section 5.2): JSON with `error` and
/// `error_description`, never cached.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Answer `WWW-Authenticate`, as section 5.2 asks when a client failed
    /// to authenticate with the Authorization header.
    challenge: bool,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self { status, error, description: description.into(), challenge: false }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// 401 `invalid_client`.
    fn invalid_client(tried_basic: bool, description: impl Into<String>) -> Self {
        Self {
            challenge: tried_basic,
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")],
            Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response();
        if self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"token\""),
            );
        }
        response
    }
}

pub(super) async fn exchange(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // These faults stand for a provider that is broken whatever it is sent,
    // so they come before any rule, and leave the code unspent.
    let faults = lock(&provider.faults).take(Stage::TokenEndpoint);
    if faults.contains(&Fault::TokenSlow) {
        tokio::time::sleep(provider.slow_answer).await;
    }
    if faults.contains(&Fault::TokenInvalidGrant) {
        return OAuthError::invalid_grant(
            "the code is not valid (this error was injected by a test)",
        )
        .into_response();
    }
    if faults.contains(&Fault::TokenServerError) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
    }
    if faults.contains(&Fault::TokenNonsense) {
        return (
            [(header::CONTENT_TYPE, "application/json")],
            "<!doctype html><html><body><h1>We'll be right back</h1></body></html>",
        )
            .into_response();
    }
    match redeem(&provider, &headers, &body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// Every rule of a token request, then the tokens.
fn redeem(provider: &Provider, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    if !is_form(headers) {
        return Err(OAuthError::invalid_request(
            "the token request must be a form: Content-Type application/x-www-form-urlencoded",
        ));
    }
    let form = Params::parse(body);
    if let Some(name) = form.repeated() {
        return Err(OAuthError::invalid_request(format!("{name} is given more than once")));
    }
    let client = authenticate(provider, headers, &form)?;
    match form.get("grant_type") {
        Some("authorization_code") => {}
        None => return Err(OAuthError::invalid_request("grant_type is missing")),
        Some(other) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type must be authorization_code, not {other:?}"),
            ));
        }
    }
    let Some(code_value) = form.get("code") else {
        return Err(OAuthError::invalid_request("code is missing"));
    };
    // From here on the code is spent, whatever else is wrong: a code is
    // tried once, so it cannot be guessed at or replayed.
    let code = match lock(&provider.grants).redeem(code_value) {
        Redeemed::Fresh(code) => code,
        Redeemed::Spent => {
            return Err(OAuthError::invalid_grant(
                "the code was already used: a code works once, and the tokens it gave are now revoked",
            ));
        }
        Redeemed::Unknown => {
            return Err(OAuthError::invalid_grant("the code is not one this provider issued"));
        }
    };
    if code.issued.elapsed() > provider.code_lifetime {
        return Err(OAuthError::invalid_grant(format!(
            "the code expired: codes must be redeemed within {} s",
            provider.code_lifetime.as_secs_f32()
        )));
    }
    if code.client_id != client.client_id {
        return Err(OAuthError::invalid_grant("the code was issued to another client"));
    }
    match form.get("redirect_uri") {
        None => {
            return Err(OAuthError::invalid_request(
                "redirect_uri is missing: send the one the authorization request had",
            ));
        }
        Some(uri) if uri != code.redirect_uri => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri differs from the authorization request's",
            ));
        }
        Some(_) => {}
    }
    match form.get("code_verifier") {
        // Only a provider with `pkce_optional` issues a code without a challenge.
        None if code.code_challenge.is_empty() => {}
        None => {
            return Err(OAuthError::invalid_request("code_verifier is missing: PKCE is required"));
        }
        Some(verifier) if !verifier_matches(verifier, &code.code_challenge) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        Some(_) => {}
    }
    Ok(tokens(provider, code_value, *code))
}

/// Who is asking: `client_secret_basic` (the Authorization header) or
/// `client_secret_post` (the form), exactly one of them, with the
/// registered secret.
fn authenticate(
    provider: &Provider,
    headers: &HeaderMap,
    form: &Params,
) -> Result<Client, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().ok().and_then(basic_credentials));
    let in_form = form.get("client_secret");
    let (client_id, secret) = match (basic, in_form) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "the request has an Authorization header and a client_secret in the form: use one",
            ));
        }
        (Some(None), None) => {
            return Err(OAuthError::invalid_client(
                true,
                "the Authorization header is not Basic credentials (base64 of client_id:client_secret)",
            ));
        }
        (Some(Some((id, secret))), None) => {
            if form.get("client_id").is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::invalid_client(
                    true,
                    "client_id in the form differs from the Authorization header's",
                ));
            }
            (id, secret)
        }
        (None, Some(secret)) => match form.get("client_id") {
            Some(id) => (id.to_owned(), secret.to_owned()),
            None => {
                return Err(OAuthError::invalid_request("client_secret without client_id"));
            }
        },
        (None, None) => {
            return Err(OAuthError::invalid_client(
                false,
                "client authentication is required: client_secret_basic or client_secret_post",
            ));
        }
    };
    let uses_basic = in_form.is_none();
    let config = lock(&provider.config);
    let Some(client) = config.client(&client_id) else {
        return Err(OAuthError::invalid_client(uses_basic, "unknown client"));
    };
    if !bool::from(secret.as_bytes().ct_eq(client.client_secret.as_bytes())) {
        return Err(OAuthError::invalid_client(uses_basic, "wrong client secret"));
    }
    Ok(client.clone())
}

/// PKCE S256 (RFC 7636 section 4.6): the verifier is 43 to 128 unreserved
/// characters, and its base64url SHA-256 is the challenge.
fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    well_formed && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// The answer to a good request: an access token, and an ID token
/// (spoiled if a test armed an ID-token fault).
fn tokens(provider: &Provider, code_value: &str, code: Code) -> Response {
    let lifetime = provider.token_lifetime.as_secs();
    let access_token = lock(&provider.grants).issue_token(
        code_value,
        AccessToken {
            user: code.user.clone(),
            client_id: code.client_id.clone(),
            scope: code.scope.clone(),
            expires: Instant::now() + provider.token_lifetime,
        },
    );
    let now = claims::now();
    let mut claims = match provider.shape {
        Shape::Google => claims::id_token(&provider.base, &code, &access_token, lifetime, now),
        Shape::Microsoft => entra::id_token(&provider.base, &code, lifetime, now),
    };
    let faults = lock(&provider.faults).take(Stage::IdToken);
    faults::tamper_claims(&mut claims, &faults, now, &provider.base);
    let key = lock(&provider.keys).current().clone();
    let id_token = match jwt::sign(&claims, &key, &faults) {
        Ok(token) => token,
        Err(e) => {
            return OAuthError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                format!("cannot sign: {e}"),
            )
            .into_response();
        }
    };
    (
        [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")],
        Json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": code.scope.join(" "),
            "id_token": id_token,
        })),
    )
        .into_response()
}
