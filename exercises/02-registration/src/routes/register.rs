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

pub async fn submit(
    State(state): State<AppState>,
    session: kit::Session,
    Form(form): Form<NewAccount>,
) -> Response {
    // TODO(step 02): create the account. Answer 400 with the reason for
    // bad input, 409 for a taken name, and on success sign the new user in,
    // under a new session id like any sign-in, and go to /cabinet.
    // See book/src/02-registration.md, "Registering".
    let _ = (&state, &session, &form.username, &form.password);
    todo!("register the account")
}
