//! Turning askama templates into responses.

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

/// What every page of the layout (`kit/templates/layout.html`) shows in its
/// header: who is signed in, if anyone.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub title: &'static str,
    pub username: Option<String>,
    /// Steps before 02 have no sign-out, so the layout hides the button.
    pub can_sign_out: bool,
}
