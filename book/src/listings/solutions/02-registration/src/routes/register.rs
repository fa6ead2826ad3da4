//! `GET /register` shows the form; `POST /register` creates the account and
//! signs it in.

use askama::Template;
use axum::{
    Form,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::{AppState, accounts::RegisterError};

#[derive(Template)]
#[template(path = "register.html")]
struct Register {
    page: kit::Page,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NewAccount {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn show(State(state): State<AppState>, session: kit::Session) -> Response {
    let username = session.current_user().await;
    kit::render(&Register { page: state.site.page("Register", username), error: None })
}

// ANCHOR: submit
pub async fn submit(
    State(state): State<AppState>,
    session: kit::Session,
    Form(form): Form<NewAccount>,
) -> Response {
    let refused = |status: StatusCode, error: &'static str| {
        let page = Register { page: state.site.page("Register", None), error: Some(error) };
        (status, kit::render(&page)).into_response()
    };
    let username = match state.accounts.register(&form.username, &form.password).await {
        Ok(username) => username,
        Err(RegisterError::Invalid(reason)) => return refused(StatusCode::BAD_REQUEST, reason),
        Err(RegisterError::Taken) => {
            return refused(StatusCode::CONFLICT, "This username is taken.");
        }
        Err(RegisterError::Storage(error)) => {
            tracing::error!(%error, "cannot store a new account");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    tracing::info!(username = ?username, "registered");
    // Registering signs the new user in, with a new session id like any sign-in.
    if let Err(error) = session.sign_in(&username).await {
        tracing::error!(%error, "cannot start a session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Redirect::to("/cabinet").into_response()
}
// ANCHOR_END: submit
