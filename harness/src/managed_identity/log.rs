//! What the step's server asked the two services, every request, answered
//! or not, so a check can see how often it fetched a token and what it
//! sent the price service.

use std::time::SystemTime;

use axum::http::{HeaderMap, Uri, header};

use super::identity_endpoint::{API_VERSION_PARAM, HEADER, RESOURCE_PARAM};

/// `status` while there is no answer yet (a slow fault's), or when the
/// connection was closed without one (a down fault's).
pub const NO_ANSWER: u16 = 0;

/// One request to the identity endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    pub at: SystemTime,
    /// The `resource` query parameter.
    pub resource: Option<String>,
    /// The `api-version` query parameter.
    pub api_version: Option<String>,
    /// `X-IDENTITY-HEADER` held the secret.
    pub header_ok: bool,
    /// The answer's status; [`NO_ANSWER`] for none (yet).
    pub status: u16,
}

/// One request to the price service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceRequest {
    pub at: SystemTime,
    /// The token of `Authorization: Bearer <token>`, if the header had
    /// that shape.
    pub bearer: Option<String>,
    /// The answer's status; [`NO_ANSWER`] for none (yet).
    pub status: u16,
}

/// Which list an entry is in, and where: to give it its status later.
#[derive(Clone, Copy, Debug)]
pub(super) enum Entry {
    Token(u64),
    Price(u64),
}

#[derive(Default)]
pub(super) struct Log {
    tokens: Vec<(u64, TokenRequest)>,
    prices: Vec<(u64, PriceRequest)>,
    next: u64,
}

impl Log {
    pub(super) fn token_request(&mut self, uri: &Uri, headers: &HeaderMap, secret: &str) -> Entry {
        let query: Vec<(String, String)> =
            form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let header_ok =
            headers.get(HEADER).is_some_and(|value| value.as_bytes() == secret.as_bytes());
        let seq = self.seq();
        self.tokens.push((
            seq,
            TokenRequest {
                at: SystemTime::now(),
                resource: param(RESOURCE_PARAM),
                api_version: param(API_VERSION_PARAM),
                header_ok,
                status: NO_ANSWER,
            },
        ));
        Entry::Token(seq)
    }

    pub(super) fn price_request(&mut self, headers: &HeaderMap) -> Entry {
        let seq = self.seq();
        self.prices.push((
            seq,
            PriceRequest { at: SystemTime::now(), bearer: bearer(headers), status: NO_ANSWER },
        ));
        Entry::Price(seq)
    }

    pub(super) fn answered(&mut self, entry: Entry, status: u16) {
        match entry {
            Entry::Token(seq) => {
                if let Some((_, request)) = self.tokens.iter_mut().find(|(s, _)| *s == seq) {
                    request.status = status;
                }
            }
            Entry::Price(seq) => {
                if let Some((_, request)) = self.prices.iter_mut().find(|(s, _)| *s == seq) {
                    request.status = status;
                }
            }
        }
    }

    pub(super) fn tokens(&self) -> Vec<TokenRequest> {
        self.tokens.iter().map(|(_, r)| r.clone()).collect()
    }

    pub(super) fn prices(&self) -> Vec<PriceRequest> {
        self.prices.iter().map(|(_, r)| r.clone()).collect()
    }

    pub(super) fn clear(&mut self) {
        self.tokens.clear();
        self.prices.clear();
    }

    fn seq(&mut self) -> u64 {
        self.next += 1;
        self.next
    }
}

/// The token of `Authorization: Bearer <token>`.
pub(super) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}
