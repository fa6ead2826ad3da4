//! `POST /login`, now against the argon2id hashes, and throttled.

use axum::{
    Form,
    extract::State,
    http::{StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Redirect, Response},
};
use step01_solution::routes::login::Credentials;

use crate::{AppState, accounts::rules};

pub async fn submit(
    State(state): State<AppState>,
    session: kit::Session,
    Form(form): Form<Credentials>,
) -> Response {
    // A name no account can have is neither counted nor logged as typed, so
    // junk names cannot fill the throttle's memory or the log.
    let turn = match rules::check_username(&form.username) {
        Ok(()) => match state.throttle.turn(&form.username).await {
            Ok(turn) => Some(turn),
            Err(wait) => {
                tracing::warn!(username = ?form.username, "sign-in throttled");
                let seconds = wait.as_secs() + 1;
                let message =
                    format!("Too many failed sign-ins for this name. Try again in {seconds} s.\n");
                let retry_after = [(RETRY_AFTER, seconds.to_string())];
                return (StatusCode::TOO_MANY_REQUESTS, retry_after, message).into_response();
            }
        },
        Err(_) => None,
    };
    let verified = match state.accounts.verify(&form.username, &form.password).await {
        Ok(verified) => verified,
        Err(error) => {
            tracing::error!(%error, "cannot read the accounts");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Some(username) = verified else {
        match turn {
            Some(turn) => {
                turn.failed();
                tracing::info!(username = ?form.username, "failed sign-in");
            }
            None => tracing::info!(
                bytes = form.username.len(),
                "failed sign-in with an impossible username"
            ),
        }
        return step01_solution::routes::login::refused(&state.site, &form.next);
    };
    if let Some(turn) = turn {
        turn.succeeded();
    }
    if let Err(error) = session.sign_in(&username).await {
        tracing::error!(%error, "cannot start a session");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    tracing::info!(username = ?username, "signed in");
    Redirect::to(kit::local_next(&form.next).unwrap_or("/cabinet")).into_response()
}
