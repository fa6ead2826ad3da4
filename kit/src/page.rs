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
    /// What later steps add to step 01's sign-in form.
    pub sign_in: SignInExtras,
}

/// HTML a later step adds to the sign-in page, without step 01's page
/// knowing what it is: step 04 puts a "remember me" box into the form,
/// step 05 a button for each identity provider above it.
///
/// `&'static str`: written in a step's source, never made from anything a
/// request carries, so the page may show it unescaped.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignInExtras {
    /// Shown above the form.
    pub before_form: &'static str,
    /// Shown inside the form, before its button.
    pub in_form: &'static str,
}

impl Site {
    /// The site of step 01: no accounts to register, nothing added to the form.
    pub fn new(session_ttl: Duration) -> Self {
        Self { session_ttl, has_accounts: false, sign_in: SignInExtras::default() }
    }

    pub fn page(&self, title: &'static str, username: Option<String>) -> Page {
        Page { title, username, has_accounts: self.has_accounts, sign_in: self.sign_in }
    }
}

/// What the layout (`kit/templates/layout.html`) shows around every page.
#[derive(Clone, Debug)]
pub struct Page {
    pub title: &'static str,
    /// Who is signed in, if anyone.
    pub username: Option<String>,
    pub has_accounts: bool,
    pub sign_in: SignInExtras,
}
