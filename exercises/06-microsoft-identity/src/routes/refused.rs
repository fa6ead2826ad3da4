//! A link that is refused, and the page that says why.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

#[derive(Debug)]
pub enum Refused {
    /// Nobody is signed in: there is no account to link to.
    NotSignedIn,
    /// No provider of that name, or none the server is set up for.
    UnknownProvider,
    /// The identity signs in to another account, which keeps it.
    ToAnother,
    /// The account has an identity of that provider already.
    ProviderTaken,
}

impl Refused {
    fn status(&self) -> StatusCode {
        match self {
            Self::NotSignedIn => StatusCode::UNAUTHORIZED,
            Self::UnknownProvider => StatusCode::NOT_FOUND,
            Self::ToAnother | Self::ProviderTaken => StatusCode::CONFLICT,
        }
    }

    fn message(&self) -> &'static str {
        match self {
            Self::NotSignedIn => {
                "Sign in first: an account is linked to the one you are signed in to."
            }
            Self::UnknownProvider => "This server cannot sign in with that provider.",
            Self::ToAnother => {
                "That account already signs in to another account here, so it was not linked. \
                 Sign in with it to use that account."
            }
            Self::ProviderTaken => {
                "Your account is linked to an account of that provider already, so nothing \
                 changed."
            }
        }
    }

    pub fn page(self, site: &kit::Site, username: Option<String>) -> Response {
        tracing::info!(refused = ?self, "a link was refused");
        let page = LinkRefused { page: site.page("Not linked", username), message: self.message() };
        (self.status(), kit::render(&page)).into_response()
    }
}

#[derive(Template)]
#[template(path = "link_refused.html")]
struct LinkRefused {
    page: kit::Page,
    message: &'static str,
}
