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

// ANCHOR: submit
pub async fn submit(session: kit::Session) -> Response {
    // exercise:cut
    // `sign_out` ends the session on the server: the old cookie is worth
    // nothing afterwards, even to someone who copied it.
    if let Err(error) = session.sign_out().await {
        tracing::error!(%error, "cannot end a session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Redirect::to("/").into_response()
    // exercise:as
    // TODO(step 02): end the session on the server, not just in the
    // browser, so that a copy of the cookie is worth nothing; then go to /.
    // See book/src/02-registration.md, "Signing out".
    //~ let _ = (session, StatusCode::OK);
    //~ Redirect::to("/").into_response()
    // exercise:end
}
// ANCHOR_END: submit
