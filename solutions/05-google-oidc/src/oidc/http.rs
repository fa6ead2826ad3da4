//! The app's HTTP client for talking to the provider, and the two ways it
//! is used: GETting a JSON document (discovery, keys), and sending the
//! token request that `oauth2` builds. Both read an answer the same way:
//! bounded in time and size, and sorted by its status.

use std::time::Duration;

use oauth2::{HttpRequest, HttpResponse};
use reqwest::{StatusCode, Url, redirect::Policy};
use serde::de::DeserializeOwned;

use super::Error;

/// The largest answer read from the provider. Google's discovery document
/// is about 1.5 KiB, its keys 1 KiB, a token answer a few KiB: anything
/// near this is not one of them, and reading it whole would let whoever
/// answers fill the server's memory.
pub const MAX_BODY: usize = 256 * 1024;

/// Every request is bounded by `timeout` from connecting to the last byte
/// of the body, so a provider that answers slowly, or never stops
/// answering, costs a request at most that long. (A handler bounds all its
/// requests together too: see [`super::Provider::in_time`].)
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
    what: &'static str,
) -> Result<T, Error> {
    let response = http.get(url).send().await?;
    let status = response.status();
    failing(status, what)?;
    if status != StatusCode::OK {
        return Err(Error::Nonsense(format!("{what} answered {status}")));
    }
    let body = body(response, what).await?;
    serde_json::from_slice(&body).map_err(|e| Error::Nonsense(format!("{what} is not usable: {e}")))
}

/// Sends a request that `oauth2` built (the token request) with `http`,
/// and hands back the answer for `oauth2` to read. `oauth2` can send with
/// a `reqwest::Client` itself, but then it reads the body whole, however
/// large: passed as `&|request| http::send(client.clone(), request)`, this
/// function reads it as every other answer is read. (An owned client, a
/// handle that is cheap to clone: with a borrowed one, the compiler cannot
/// prove the handler's future `Send`.)
pub async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, Error> {
    let what = "the token endpoint";
    let request = reqwest::Request::try_from(request)
        .map_err(|e| Error::Nonsense(format!("cannot make the token request: {e}")))?;
    let response = http.execute(request).await?;
    let status = response.status();
    failing(status, what)?;
    let headers = response.headers().clone();
    let mut answer = HttpResponse::new(body(response, what).await?);
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}

/// A status of 500 or more: the provider says that it is failing, whatever
/// its body. The user can only try again later, as when it cannot be
/// reached; anything else is the protocol's to judge.
fn failing(status: StatusCode, what: &'static str) -> Result<(), Error> {
    if status.is_server_error() {
        return Err(Error::Unreachable(format!("{what} answered {status}")));
    }
    Ok(())
}

/// The body, read piece by piece and refused as soon as it outgrows
/// [`MAX_BODY`]: a `Content-Length` can be left out, or lie.
async fn body(mut response: reqwest::Response, what: &'static str) -> Result<Vec<u8>, Error> {
    let too_large = || Error::Nonsense(format!("{what} answered more than {MAX_BODY} bytes"));
    if response.content_length().is_some_and(|length| length > MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
