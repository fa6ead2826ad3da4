//! `POST /logout` ends the session on the server; `GET /logout` only asks.

use askama::Template;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use step01_solution::auth;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "logout.html")]
struct Logout {
    page: kit::Page,
}

/// A GET must change nothing (a link or an image could trigger it), so it
/// only shows the button that POSTs.
pub async fn show(State(site): State<kit::Site>, session: Session) -> Response {
    let username = auth::current_user(&session, site.session_ttl).await;
    kit::render(&Logout { page: site.page("Sign out", username) })
}

// ANCHOR: submit
pub async fn submit(session: Session) -> Response {
    // exercise:cut
    // `flush` deletes the session from the store, so the old cookie is worth
    // nothing even to someone who copied it, and tells the browser to drop
    // the cookie. Clearing only the cookie would leave the session alive.
    if let Err(error) = session.flush().await {
        tracing::error!(%error, "cannot end a session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Redirect::to("/").into_response()
    // exercise:as
    // TODO(step 02): end the session on the server, not just in the browser,
    // then go to /. See book/src/02-registration.md, "Signing out".
    //~ let _ = (session, StatusCode::OK);
    //~ Redirect::to("/").into_response()
    // exercise:end
}
// ANCHOR_END: submit
