//! How a sign-in with Google can fail, and the page that says so in plain
//! words. What went wrong in detail is for the log, not the page.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::oidc;

#[derive(Debug)]
pub enum Failure {
    /// The server has no client id and secret for Google.
    NotConfigured,
    /// The provider sent the browser back with `error=...`.
    Declined { error: String },
    /// No sign-in is under way in this browser: never started, already
    /// finished (a replayed callback), or started in another browser.
    NothingPending,
    /// `state` is missing or not this browser's: a callback someone else
    /// started, which would sign this browser in as them (login CSRF).
    WrongState,
    /// A callback with a matching state but no code.
    NoCode,
    /// The callback came after [`crate::pending::LIFETIME`].
    Stale,
    /// The provider is down, slow, refused the code, or its answer is not
    /// valid.
    Provider(oidc::Error),
    /// Our own storage failed.
    Internal(String),
}

impl From<oidc::Error> for Failure {
    fn from(error: oidc::Error) -> Self {
        Self::Provider(error)
    }
}

impl Failure {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::NotConfigured => StatusCode::SERVICE_UNAVAILABLE,
            Self::Declined { .. }
            | Self::NothingPending
            | Self::WrongState
            | Self::NoCode
            | Self::Stale => StatusCode::BAD_REQUEST,
            Self::Provider(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user reads. The provider's own `error_description` is never
    /// shown: it travels in the URL, so anyone can write it.
    fn message(&self) -> &'static str {
        match self {
            Self::NotConfigured => {
                "Sign in with Google is not set up on this server: it needs OIDC_CLIENT_ID and \
                 OIDC_CLIENT_SECRET."
            }
            Self::Declined { error } if error == "access_denied" => {
                "You declined to sign in with Google."
            }
            Self::Declined { error }
                if error == "temporarily_unavailable" || error == "server_error" =>
            {
                "Google could not sign you in just now. Please try again in a moment."
            }
            Self::Declined { .. } => {
                "Google did not sign you in. Please start again from the sign-in page."
            }
            Self::NothingPending => {
                "There is no sign-in with Google under way in this browser, or this link was \
                 already used. Please start again from the sign-in page."
            }
            Self::WrongState => {
                "This answer from Google does not belong to a sign-in started in this browser, \
                 so it was not used. Please start again from the sign-in page."
            }
            Self::NoCode => {
                "Google's answer is missing its code. Please start again from the sign-in page."
            }
            Self::Stale => "This sign-in took too long. Please start again from the sign-in page.",
            Self::Provider(oidc::Error::Unreachable(_)) => {
                "Google could not be reached, or did not answer in time. Please try again in a \
                 moment."
            }
            Self::Provider(oidc::Error::Refused(_)) => {
                "Google did not accept this sign-in: it may have been used already or taken too \
                 long. Please start again from the sign-in page."
            }
            Self::Provider(oidc::Error::Nonsense(_) | oidc::Error::InvalidToken(_)) => {
                "Google's answer could not be verified, so nobody was signed in. Please try again \
                 in a moment."
            }
            Self::Internal(_) => "Something went wrong on our side. Please try again in a moment.",
        }
    }

    /// Logs the failure with its details and answers its page.
    pub fn page(self, site: &kit::Site) -> Response {
        match &self {
            Self::Provider(error) => tracing::warn!(%error, "sign-in with Google failed"),
            Self::Internal(error) => tracing::error!(%error, "sign-in with Google failed"),
            // `?`: quoted and escaped, since it came from the URL.
            Self::Declined { error } => {
                tracing::info!(error = ?error, "sign-in with Google declined")
            }
            other => tracing::info!(failure = ?other, "sign-in with Google refused"),
        }
        let page = SignInFailed { page: site.page("Not signed in", None), message: self.message() };
        (self.status(), kit::render(&page)).into_response()
    }
}

#[derive(Template)]
#[template(path = "sign_in_failed.html")]
struct SignInFailed {
    page: kit::Page,
    message: &'static str,
}
