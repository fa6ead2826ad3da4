//! Asking the identity endpoint for a token: Azure App Service's managed
//! identity protocol, version 2019-08-01.
//!
//! The server has no secret of its own to sign in with. App Service runs
//! a token service beside it, at `IDENTITY_ENDPOINT`, that answers only
//! requests carrying `X-IDENTITY-HEADER: $IDENTITY_HEADER`; it hands out
//! tokens for the identity Azure gave this app.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderName, HeaderValue, StatusCode};
use serde::Deserialize;

use super::{
    Error, Secret, Settings,
    http::{self, BodyError},
};

/// A token answer is about 2 KiB.
const MAX_BODY: usize = 64 * 1024;

const API_VERSION: &str = "2019-08-01";

static IDENTITY_HEADER: HeaderName = HeaderName::from_static("x-identity-header");

/// A token for the price service, ready to send.
pub struct AccessToken {
    /// `Bearer <token>`, marked sensitive.
    authorization: HeaderValue,
    /// The token's `expires_on`.
    pub expires_on: SystemTime,
    /// When it came: a token older than a request was kept from before.
    pub fetched_at: Instant,
}

impl AccessToken {
    /// A token of no use to anyone, for the cache's tests.
    #[cfg(test)]
    pub fn for_tests(lifetime: Duration) -> Self {
        let authorization = HeaderValue::from_static("Bearer test");
        Self { authorization, expires_on: SystemTime::now() + lifetime, fetched_at: Instant::now() }
    }

    /// The `Authorization` header value that carries the token.
    pub fn authorization(&self) -> HeaderValue {
        self.authorization.clone()
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("AccessToken");
        debug.field("expires_on", &self.expires_on).field("fetched_at", &self.fetched_at);
        debug.finish_non_exhaustive()
    }
}

/// The identity endpoint's answer. Its other fields (`client_id`,
/// `expires_in`, ...) are not needed.
#[derive(Deserialize)]
struct Answer {
    access_token: Secret,
    expires_on: UnixSeconds,
    resource: String,
    token_type: String,
}

/// App Service writes `expires_on` as a string of Unix seconds
/// (`"1765432100"`); other identity endpoints as a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum UnixSeconds {
    Number(u64),
    Text(String),
}

/// A new token for `settings.resource`.
pub async fn fetch(http: &reqwest::Client, settings: &Settings) -> Result<AccessToken, Error> {
    let mut url = settings.identity_endpoint.clone();
    url.query_pairs_mut()
        .append_pair("resource", &settings.resource)
        .append_pair("api-version", API_VERSION);
    let secret = settings.identity_header.header("").ok_or_else(|| failed("no usable header"))?;
    let response = http
        .get(url)
        .header(&IDENTITY_HEADER, secret)
        .send()
        .await
        .map_err(|e| failed(&super::error::detail(&e)))?;
    let status = response.status();
    if status != StatusCode::OK {
        // Not its body: an error page may repeat what it was sent.
        return Err(failed(&format!("it answered {status}")));
    }
    let body = http::body(response, MAX_BODY).await.map_err(|e| match e {
        BodyError::TooLarge => failed(&format!("it answered more than {MAX_BODY} bytes")),
        BodyError::Read(e) => failed(&super::error::detail(&e)),
    })?;
    // serde_json's messages quote a string or number of the wrong type;
    // `access_token` is a string where a string belongs, and so never
    // quoted. (`expires_on`, which could be either, fails untagged,
    // without a quote.)
    let answer: Answer = serde_json::from_slice(&body)
        .map_err(|e| failed(&format!("its answer is not a token answer: {e}")))?;
    token(answer, &settings.resource)
}

// ANCHOR: check
/// The token in `answer`, if it is one for `resource` that can be used.
fn token(answer: Answer, resource: &str) -> Result<AccessToken, Error> {
    // A token for another audience is no use to the price service, and
    // sent there it would hand the service a credential for something
    // else (Azure's management API, say) that it could replay. Whatever
    // the reason (a misconfigured endpoint, something in between), it is
    // not sent. `{:?}`: what the endpoint wrote cannot forge a log line.
    if answer.resource != resource {
        return Err(failed(&format!(
            "it gave a token for {:?}, not {resource:?}",
            answer.resource
        )));
    }
    if !answer.token_type.eq_ignore_ascii_case("bearer") {
        return Err(failed(&format!("it gave a {:?} token, not a Bearer", answer.token_type)));
    }
    if answer.access_token.is_empty() {
        return Err(failed("it gave an empty token"));
    }
    let authorization = answer
        .access_token
        .header("Bearer ")
        .ok_or_else(|| failed("its token cannot be sent in a header"))?;
    let seconds = match answer.expires_on {
        UnixSeconds::Number(seconds) => seconds,
        UnixSeconds::Text(text) => text
            .trim()
            .parse()
            .map_err(|_| failed(&format!("expires_on is not Unix seconds: {text:?}")))?,
    };
    let expires_on = UNIX_EPOCH
        .checked_add(Duration::from_secs(seconds))
        .ok_or_else(|| failed("expires_on is out of range"))?;
    let Ok(left) = expires_on.duration_since(SystemTime::now()) else {
        return Err(failed("it gave a token that has expired"));
    };
    tracing::info!(resource, expires_in_secs = left.as_secs(), "a new token for the price service");
    Ok(AccessToken { authorization, expires_on, fetched_at: Instant::now() })
}
// ANCHOR_END: check

fn failed(detail: &str) -> Error {
    Error::Identity(detail.to_owned())
}
