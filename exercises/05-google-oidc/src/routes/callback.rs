//! `GET /auth/callback`: the browser is back from the provider with a code,
//! or an error. Only a callback of the sign-in this browser started, whose
//! code the provider exchanges for a valid ID token, signs anyone in.

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
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
    // The sign-in this browser started, taken for good if the callback
    // brings its state: replayed, the callback finds nothing. Only the
    // browser that started the sign-in knows its state. A callback without
    // it is one this browser never asked for: say, an attacker's own code,
    // planted to sign the victim in as the attacker (login CSRF). PKCE and
    // the nonce would stop that code later; the state stops it here,
    // before the provider is asked anything.
    //
    // A missing or wrong state takes nothing. Otherwise anyone could end
    // someone's sign-in under way by getting their browser to open a
    // forged callback (`?error=access_denied`, or any state): the forged
    // callback is refused, and the real one still finishes.
    let sent_back = answer.state.as_deref().unwrap_or_default();
    let pending =
        pending::take(&state.pool, session, sent_back).await.map_err(Failure::internal)?;
    // An error answer signs nobody in, so it is refused before anything
    // else: whoever sent it gains nothing.
    if let Some(error) = answer.error {
        return Err(Failure::Declined { error });
    }
    let pending = pending.ok_or(Failure::WrongState)?;
    // The provider the browser was sent to redeems the code (step 06 has two).
    let provider = state.provider(&pending.provider).ok_or(Failure::NotConfigured)?;
    let code = answer.code.ok_or(Failure::NoCode)?;
    if pending.is_stale() {
        return Err(Failure::Stale);
    }
    // One time limit for all the provider's part: the token, then the keys.
    let exchange_and_validate = async {
        let id_token = provider.exchange(code, pending.verifier).await?;
        provider.validate(&id_token, &pending.nonce).await
    };
    let identity = provider.in_time(exchange_and_validate).await?;
    let username = users::sign_in(&state.pool, &pending.provider, &identity)
        .await
        .map_err(Failure::internal)?;
    // A new session id, like every sign-in (step 01's `start`). The
    // session's data moves to the new id: this browser's pending key too.
    pages.sign_in(&username).await.map_err(Failure::internal)?;
    tracing::info!(username = ?username, provider = %pending.provider, "signed in");
    Ok(())
}
