//! Turning askama templates into responses, and what every page shows.

use std::time::Duration;

use askama::Template;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};

/// Renders `template` as an HTML page; a rendering bug becomes a logged 500
/// rather than a half-written page.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "a template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

/// What the pages of every step need to know about the site. A step's own
/// state hands it to the shared handlers through axum's `FromRef`.
#[derive(Clone, Debug)]
pub struct Site {
    /// How long a session lives without use (`SESSION_TTL_SECS`).
    pub session_ttl: Duration,
    /// From step 02 on, people register and sign out: the layout links to
    /// `/register` and shows a sign-out button.
    pub has_accounts: bool,
    /// From step 04 on, the sign-in form offers "remember me".
    pub remember_me: bool,
    /// From step 05 on, identity providers to sign in with, shown as
    /// buttons beside the password form.
    pub providers: &'static [Provider],
}

/// An identity provider the sign-in page offers (step 05: Google).
#[derive(Clone, Copy, Debug)]
pub struct Provider {
    /// As in "Sign in with Google".
    pub name: &'static str,
    /// Where its sign-in starts: `/login/google`.
    pub path: &'static str,
}

impl Site {
    pub fn page(&self, title: &'static str, username: Option<String>) -> Page {
        Page {
            title,
            username,
            has_accounts: self.has_accounts,
            remember_me: self.remember_me,
            providers: self.providers,
        }
    }
}

/// What the layout (`kit/templates/layout.html`) shows around every page.
#[derive(Clone, Debug)]
pub struct Page {
    pub title: &'static str,
    /// Who is signed in, if anyone.
    pub username: Option<String>,
    pub has_accounts: bool,
    pub remember_me: bool,
    pub providers: &'static [Provider],
}
