//! Calling the price service with a token.

use axum::http::{StatusCode, header::AUTHORIZATION};
use reqwest::Url;

use super::{
    Error,
    http::{self, BodyError},
    identity::AccessToken,
};

/// The largest price list passed on. Whatever the service answers is read
/// whole before it is sent on, so it is bounded.
pub const MAX_BODY: usize = 1024 * 1024;

/// `GET $PRICE_SERVICE_URL/prices` with `token`, and its JSON answer.
/// [`Error::Refused`] when the service answers 401 to the token.
pub async fn prices(
    http: &reqwest::Client,
    url: &Url,
    token: &AccessToken,
) -> Result<serde_json::Value, Error> {
    let response = http
        .get(url.clone())
        .header(AUTHORIZATION, token.authorization())
        .send()
        .await
        .map_err(|e| failed(&super::error::detail(&e)))?;
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        return Err(Error::Refused);
    }
    if !status.is_success() {
        return Err(failed(&format!("it answered {status}")));
    }
    let body = http::body(response, MAX_BODY).await.map_err(|e| match e {
        BodyError::TooLarge => failed(&format!("it answered more than {MAX_BODY} bytes")),
        BodyError::Read(e) => failed(&super::error::detail(&e)),
    })?;
    // Parsed, not passed on as bytes: the browser is told it gets JSON,
    // and it gets JSON, not whatever the service answered.
    serde_json::from_slice(&body).map_err(|e| failed(&format!("its answer is not JSON: {e}")))
}

fn failed(detail: &str) -> Error {
    Error::Service(detail.to_owned())
}
