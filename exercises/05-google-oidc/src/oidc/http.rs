//! The app's HTTP client for talking to the provider.

use std::time::Duration;

use reqwest::{StatusCode, Url, redirect::Policy};
use serde::de::DeserializeOwned;

use super::Error;

/// Every request is bounded by `timeout` from connecting to the last byte
/// of the body, so a provider that answers slowly, or never stops
/// answering, costs a sign-in at most that long.
pub fn client(timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        // A redirect would carry the token request, with the client's
        // secret and the user's code, to wherever the answer points: the
        // provider's endpoints are exact addresses, never followed.
        .redirect(Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| Error::Unreachable(format!("cannot make an HTTP client: {e}")))
}

/// GETs `url` and reads its JSON body as a `T`. `what` names the document
/// in errors ("the discovery document").
pub async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: Url,
    what: &str,
) -> Result<T, Error> {
    let response = http.get(url).send().await?;
    let status = response.status();
    if status.is_server_error() {
        return Err(Error::Unreachable(format!("{what} answered {status}")));
    }
    if status != StatusCode::OK {
        return Err(Error::Nonsense(format!("{what} answered {status}")));
    }
    let body = response.bytes().await?;
    serde_json::from_slice(&body).map_err(|e| Error::Nonsense(format!("{what} is not usable: {e}")))
}
