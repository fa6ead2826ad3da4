//! `POST /login`: check the credentials, start a session, go on.

use axum::{
    Form,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::home::Home;
use crate::{AppState, auth};

/// Missing fields read as empty, so a bare POST is an ordinary failed
/// sign-in (401), not a framework error.
#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<Credentials>,
) -> Response {
    let Some(user) = state.users.verify(&form.username, &form.password) else {
        // `?` logs the name quoted and escaped: a name with a newline in it
        // cannot forge a log line.
        tracing::info!(username = ?form.username, "failed sign-in");
        // One message whether the name or the password was wrong: anything
        // else tells an attacker which usernames exist.
        let next = kit::local_next(&form.next).unwrap_or_default().to_owned();
        let page = Home {
            error: Some("Wrong username or password."),
            ..Home::new(None, next)
        };
        return (StatusCode::UNAUTHORIZED, kit::render(&page)).into_response();
    };
    if let Err(error) = auth::sign_in(&session, &user.username, state.session_ttl).await {
        tracing::error!(%error, "cannot start a session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    tracing::info!(username = ?user.username, "signed in");
    Redirect::to(kit::local_next(&form.next).unwrap_or("/cabinet")).into_response()
}
