//! `POST /login`: check the credentials, start a session, go on.

use std::sync::Arc;

use axum::{
    Form,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::home::Home;
use crate::Users;

/// Missing fields read as empty, so a form without them is an ordinary
/// failed sign-in (401), not a framework error.
#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: String,
}

// ANCHOR: submit
pub async fn submit(
    State(users): State<Arc<Users>>,
    State(site): State<kit::Site>,
    session: kit::Session,
    Form(form): Form<Credentials>,
) -> Response {
    let Some(user) = users.verify(&form.username, &form.password) else {
        // `?` logs the name quoted and escaped: a name with a newline in it
        // cannot forge a log line.
        tracing::info!(username = ?form.username, "failed sign-in");
        return refused(&site, &form.next);
    };
    if let Err(error) = session.sign_in(&user.username).await {
        tracing::error!(%error, "cannot start a session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    tracing::info!(username = ?user.username, "signed in");
    Redirect::to(kit::local_next(&form.next).unwrap_or("/cabinet")).into_response()
}
// ANCHOR_END: submit

/// 401 with the form again, and one message whether the name or the
/// password was wrong: anything else tells an attacker which usernames exist.
pub fn refused(site: &kit::Site, next: &str) -> Response {
    let page = Home {
        error: Some("Wrong username or password."),
        ..Home::new(site.page("Sign in", None), next)
    };
    (StatusCode::UNAUTHORIZED, kit::render(&page)).into_response()
}
