//! How a sign-in with a provider can fail, and the page that says so in
//! plain words. What went wrong in detail is for the log, not the page.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::oidc;

#[derive(Debug)]
pub enum Failure {
    /// The server has no client id and secret for the provider.
    NotConfigured,
    /// The provider sent the browser back with `error=...`.
    Declined { error: String },
    /// No sign-in under way in this browser has the callback's `state`:
    /// none was started here, it was finished already (a replayed
    /// callback), or the state is missing or someone else's (a callback
    /// that would sign this browser in as them: login CSRF).
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
            Self::Declined { .. } | Self::WrongState | Self::NoCode | Self::Stale => {
                StatusCode::BAD_REQUEST
            }
            Self::Provider(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user reads. The provider's own `error_description` is never
    /// shown: it travels in the URL, so anyone can write it. Nor is how the
    /// server is set up: that is for its log.
    fn message(&self, label: &str) -> String {
        match self {
            Self::NotConfigured => format!("Sign in with {label} is not available on this server."),
            Self::Declined { error } if error == "access_denied" => {
                format!("You declined to sign in with {label}.")
            }
            Self::Declined { error }
                if error == "temporarily_unavailable" || error == "server_error" =>
            {
                format!("{label} could not sign you in just now. Please try again in a moment.")
            }
            Self::Declined { .. } => {
                format!("{label} did not sign you in. Please start again from the sign-in page.")
            }
            Self::WrongState => format!(
                "This answer from {label} does not match a sign-in under way in this browser: \
                 it may have been used already, or belong to a sign-in started elsewhere. \
                 Please start again from the sign-in page."
            ),
            Self::NoCode => format!(
                "{label}'s answer is missing its code. Please start again from the sign-in page."
            ),
            Self::Stale => {
                "This sign-in took too long. Please start again from the sign-in page.".into()
            }
            Self::Provider(oidc::Error::Unreachable(_)) => format!(
                "{label} could not be reached, did not answer in time, or is failing just now. \
                 Please try again in a moment."
            ),
            Self::Provider(oidc::Error::Refused(_)) => format!(
                "{label} did not accept this sign-in: it may have been used already or taken \
                 too long. Please start again from the sign-in page."
            ),
            Self::Provider(oidc::Error::Nonsense(_) | oidc::Error::InvalidToken(_)) => format!(
                "{label}'s answer could not be verified, so nobody was signed in. Please try \
                 again in a moment."
            ),
            Self::Internal(_) => {
                "Something went wrong on our side. Please try again in a moment.".into()
            }
        }
    }

    /// Logs the failure with its details and answers its page, which
    /// names the provider as `label` ("Google").
    pub fn page(self, site: &kit::Site, label: &str) -> Response {
        match &self {
            Self::NotConfigured => tracing::warn!(
                "a sign-in with {label} was asked for, but the server has no client id and \
                 secret for it"
            ),
            Self::Provider(error) => tracing::warn!(%error, "sign-in with {label} failed"),
            Self::Internal(error) => tracing::error!(%error, "sign-in with {label} failed"),
            // `?`: quoted and escaped, since it came from the URL.
            Self::Declined { error } => {
                tracing::info!(error = ?error, "sign-in with {label} declined")
            }
            other => tracing::info!(failure = ?other, "sign-in with {label} refused"),
        }
        // A bare header, naming nobody: whoever sees this page may still be
        // signed in (with a password, say), and a sign-out form there would
        // post with `Origin: null` under this route's `no-referrer`, which
        // step 02's cross-site check refuses.
        let mut page = site.page("Sign-in failed", None);
        page.has_accounts = false;
        let page = SignInFailed { page, message: self.message(label) };
        (self.status(), kit::render(&page)).into_response()
    }
}

#[derive(Template)]
#[template(path = "sign_in_failed.html")]
struct SignInFailed {
    page: kit::Page,
    message: String,
}
