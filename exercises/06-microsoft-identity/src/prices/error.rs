//! What can go wrong on the way to the prices. The details are for the
//! log; the browser learns only that the prices cannot be had now.

use std::time::Duration;

/// No variant ever holds a token or the identity header's value: they are
/// [`super::Secret`]s, and no answer's body is ever quoted here (an
/// identity endpoint's error page might echo what it was sent).
///
/// `Clone`: a failed token fetch is given to every request that waited
/// for it, and remembered for a moment.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// One of the four variables is set but cannot work: the server must
    /// not start with it.
    #[error("{variable}: {problem}")]
    Settings { variable: &'static str, problem: String },
    /// No usable token: the identity endpoint could not be reached, failed,
    /// or answered something that is not a token for our resource.
    #[error("no token from the identity endpoint: {0}")]
    Identity(String),
    /// The price service could not be reached, failed, or answered
    /// something that is not JSON.
    #[error("no prices from the price service: {0}")]
    Service(String),
    /// The price service answered 401 to the token.
    #[error("the price service refused the token")]
    Refused,
    /// The HTTP client cannot be made (no TLS backend): at start only.
    #[error("cannot make an HTTP client: {0}")]
    Client(String),
    /// The whole request took longer than its bound.
    #[error("no prices within {} s", .0.as_secs_f32())]
    Timeout(Duration),
}

/// reqwest keeps the cause (a timeout, a refused connection) in the chain
/// of sources, not in its own message: the log needs it. reqwest's
/// messages name the URL, never a header.
pub fn detail(error: &reqwest::Error) -> String {
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail = format!("{detail}: {cause}");
        source = cause.source();
    }
    detail
}
