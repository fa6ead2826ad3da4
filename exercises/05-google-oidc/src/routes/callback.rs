//! `GET /auth/callback`: the browser is back from the provider with a code,
//! or an error. Only a callback of the sign-in this browser started, whose
//! code the provider exchanges for a valid ID token, signs anyone in.

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use subtle::ConstantTimeEq; // `ct_eq` is what you will need
use tower_sessions::Session;

use super::failure::Failure;
use crate::{AppState, pending, users};

/// What the provider put in the callback's query (RFC 6749 section 4.1.2).
#[derive(Deserialize)]
pub struct Answer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn finish(
    State(state): State<AppState>,
    session: Session,
    pages: kit::Session,
    Query(answer): Query<Answer>,
) -> Response {
    match sign_in(&state, &session, &pages, answer).await {
        // A page of our own, so the address bar, the history and any
        // Referer no longer hold the code.
        Ok(()) => Redirect::to("/cabinet").into_response(),
        Err(failure) => failure.page(&state.site),
    }
}

async fn sign_in(
    state: &AppState,
    session: &Session,
    pages: &kit::Session,
    answer: Answer,
) -> Result<(), Failure> {
    let google = state.google.as_deref().ok_or(Failure::NotConfigured)?;
    // The first callback ends the sign-in, whatever it brings: replayed,
    // it finds nothing pending.
    let pending = pending::take(session).await.map_err(Failure::internal)?;
    // An error answer signs nobody in, so it is refused before anything
    // else: whoever sent it, with whatever state, gains nothing.
    if let Some(error) = answer.error {
        return Err(Failure::Declined { error });
    }
    let pending = pending.ok_or(Failure::NothingPending)?;

    // TODO(step 05): refuse the callback (`Failure::WrongState`) unless
    // `answer.state` is the pending sign-in's `state`, compared in constant
    // time. See book/src/05-google-oidc.md, "The callback".
    let _ = &answer.state;

    let code = answer.code.ok_or(Failure::NoCode)?;
    if pending.is_stale() {
        return Err(Failure::Stale);
    }
    let id_token = google.exchange(code, pending.verifier).await?;
    let identity = google.validate(&id_token, &pending.nonce).await?;
    let username =
        users::sign_in(&state.pool, "google", &identity).await.map_err(Failure::internal)?;
    // A new session id, like every sign-in (step 01's `start`).
    pages.sign_in(&username, false).await.map_err(Failure::internal)?;
    tracing::info!(username = ?username, "signed in with Google");
    Ok(())
}
