//! `POST /logout` ends the session on the server; `GET /logout` only asks.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

#[derive(Template)]
#[template(path = "logout.html")]
struct Logout {
    page: kit::Page,
}

/// A GET must change nothing (a link or an image could trigger it), so it
/// only shows the button that POSTs.
pub async fn show(State(site): State<kit::Site>, session: kit::Session) -> Response {
    let username = session.current_user().await;
    kit::render(&Logout { page: site.page("Sign out", username) })
}

pub async fn submit(session: kit::Session) -> Response {
    // TODO(step 02): end the session on the server, not just in the
    // browser, so that a copy of the cookie is worth nothing; then go to /.
    // See book/src/02-registration.md, "Signing out".
    let _ = (session, StatusCode::OK);
    Redirect::to("/").into_response()
}
