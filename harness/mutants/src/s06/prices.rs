//! `GET /api/prices`: a managed identity's token from `IDENTITY_ENDPOINT`,
//! kept until 5 minutes before it expires and fetched once for every
//! request waiting on it, sent to the price service, whose JSON is the
//! answer. Any failure, or 10 s gone, is a 502; the token is never shown
//! and never logged.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header::CACHE_CONTROL, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::Shared;
use crate::s01::session_cookie;

/// The contract: the whole of a request, token and prices, within 10 s.
const PATIENCE: Duration = Duration::from_secs(9);
/// A token is renewed once fewer than this many seconds are left.
const MARGIN: u64 = 300;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[derive(Clone)]
struct Token {
    secret: String,
    expires_on: u64,
}

/// The identity endpoint's answer (App Service's 2019-08-01 shape).
#[derive(Deserialize)]
struct Issued {
    access_token: String,
    /// Unix seconds, as a string; a number is taken too.
    expires_on: Value,
    #[serde(default)]
    resource: String,
}

pub(super) struct Prices {
    flaw: &'static str,
    http: reqwest::Client,
    endpoint: String,
    header: String,
    service: String,
    resource: String,
    /// Held while a token is fetched: other requests wait for that one.
    token: Mutex<Option<Token>>,
}

/// Why `/api/prices` could not answer; the words go to the person as is.
struct Failure(String);

impl Prices {
    /// From `IDENTITY_ENDPOINT`, `IDENTITY_HEADER`, `PRICE_SERVICE_URL` and
    /// `PRICE_SERVICE_RESOURCE`.
    pub(super) fn from_env(flaw: &'static str) -> Result<Prices, String> {
        let mut http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if flaw != "no-timeout" {
            http = http.timeout(PATIENCE);
        }
        Ok(Prices {
            flaw,
            http: http.build().map_err(|e| format!("cannot make an HTTP client: {e}"))?,
            endpoint: var("IDENTITY_ENDPOINT"),
            header: var("IDENTITY_HEADER"),
            service: var("PRICE_SERVICE_URL").trim_end_matches('/').to_owned(),
            resource: var("PRICE_SERVICE_RESOURCE"),
            token: Mutex::new(None),
        })
    }

    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("06", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    fn fresh(&self, token: &Token) -> bool {
        let margin = if self.has("no-refresh-margin") { 0 } else { MARGIN };
        token.expires_on > now() + margin
    }

    /// A token for the price service: the kept one, or a new one.
    async fn token(&self) -> Result<Token, Failure> {
        if self.has("token-per-request") {
            return self.fetch().await;
        }
        let mut kept = self.token.lock().await;
        if let Some(token) = kept.as_ref().filter(|token| self.fresh(token)) {
            return Ok(token.clone());
        }
        if self.has("no-shared-fetch") {
            // Let go while fetching: whoever comes meanwhile fetches too.
            drop(kept);
            tokio::time::sleep(Duration::from_millis(50)).await;
            let token = self.fetch().await?;
            *self.token.lock().await = Some(token.clone());
            return Ok(token);
        }
        let token = self.fetch().await?;
        *kept = Some(token.clone());
        Ok(token)
    }

    async fn fetch(&self) -> Result<Token, Failure> {
        let failed = |why: String| {
            eprintln!("mutant: no token from the identity endpoint: {why}");
            Failure("The identity endpoint gave no token.".into())
        };
        let mut request = self
            .http
            .get(&self.endpoint)
            .query(&[("resource", self.resource.as_str()), ("api-version", "2019-08-01")]);
        if !self.has("prices-no-header") {
            request = request.header("X-IDENTITY-HEADER", &self.header);
        }
        let answer = request
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed(e.without_url().to_string()))?;
        let issued: Issued = answer.json().await.map_err(|e| failed(format!("not JSON: {e}")))?;
        if issued.resource != self.resource && !self.has("any-resource") {
            return Err(failed(format!(
                "a token for {:?}, not {:?}",
                issued.resource, self.resource
            )));
        }
        let expires_on = match &issued.expires_on {
            Value::String(text) => text.trim().parse().ok(),
            other => other.as_u64(),
        };
        let Some(expires_on) = expires_on else {
            return Err(failed(format!("expires_on is {}", issued.expires_on)));
        };
        if self.has("token-logged") {
            eprintln!("mutant: got token {} for {}", issued.access_token, issued.resource);
        }
        Ok(Token { secret: issued.access_token, expires_on })
    }

    /// The price service's JSON.
    async fn prices(&self) -> Result<Bytes, Failure> {
        let token = self.token().await?;
        let url = format!("{}/prices", self.service);
        let failed = |why: String| {
            eprintln!("mutant: the price service failed: {why}");
            let words = match self.has("token-in-error") {
                true => format!("The price service refused Bearer {}.", token.secret),
                false => "The price service is not answering.".into(),
            };
            Failure(words)
        };
        let answer = self
            .http
            .get(&url)
            .bearer_auth(&token.secret)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| failed(e.without_url().to_string()))?;
        let body = answer.bytes().await.map_err(|e| failed(e.to_string()))?;
        if serde_json::from_slice::<Value>(&body).is_err() {
            return Err(failed("the answer is not JSON".into()));
        }
        Ok(body)
    }
}

fn error(status: StatusCode, words: &str) -> Response {
    let no_store = [(CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    (status, no_store, Json(json!({ "error": words }))).into_response()
}

pub(super) async fn route(State(app): State<Shared>, headers: HeaderMap) -> Response {
    match app.links.session_user(session_cookie(&headers)).await {
        Ok(Some(_)) => {}
        Ok(None) => return error(StatusCode::UNAUTHORIZED, "Sign in to see the prices."),
        Err(why) => {
            eprintln!("mutant: cannot read the session: {why}");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.");
        }
    }
    let prices = &app.prices;
    let answer = match prices.has("no-timeout") {
        true => prices.prices().await,
        false => tokio::time::timeout(PATIENCE, prices.prices())
            .await
            .unwrap_or_else(|_| Err(Failure("The price service took too long.".into()))),
    };
    match answer {
        Ok(body) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        Err(Failure(words)) => error(StatusCode::BAD_GATEWAY, &words),
    }
}
