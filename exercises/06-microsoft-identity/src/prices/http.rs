//! The HTTP clients, and reading an answer's body within a size bound.

use std::time::Duration;

use reqwest::{ClientBuilder, redirect::Policy};

use super::{Error, error::detail};

/// The client for the price service.
pub fn service_client(timeout: Duration) -> Result<reqwest::Client, Error> {
    build(bounded(timeout))
}

/// The client for the identity endpoint. No proxy, whatever `HTTP_PROXY`
/// says: the endpoint is on this machine, and a proxy would be sent the
/// identity header and be handed the token.
pub fn identity_client(timeout: Duration) -> Result<reqwest::Client, Error> {
    build(bounded(timeout).no_proxy())
}

/// Every request is bounded by `timeout` from connecting to the last byte
/// of the body, so that a token fetch that no request waits for any more
/// still ends. Redirects are never followed: reqwest drops
/// `Authorization` on a redirect to another host, but not
/// `X-IDENTITY-HEADER`, and both endpoints are exact addresses anyway.
fn bounded(timeout: Duration) -> ClientBuilder {
    reqwest::Client::builder().redirect(Policy::none()).timeout(timeout)
}

fn build(builder: ClientBuilder) -> Result<reqwest::Client, Error> {
    builder.build().map_err(|e| Error::Client(detail(&e)))
}

/// Why a body was not read.
pub enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// The body, read piece by piece and refused as soon as it outgrows `max`
/// bytes: a `Content-Length` can be left out, or lie, and reading an
/// endless answer whole would fill the server's memory.
pub async fn body(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|length| length > max as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
