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
use crate::{AppState, GOOGLE, oidc::Identity, pending, users};

/// What the provider put in the callback's query (RFC 6749 section 4.1.2).
#[derive(Deserialize)]
pub struct Answer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

pub async fn finish(
    State(state): State<AppState>,
    session: Session,
    pages: kit::Session,
    Query(answer): Query<Answer>,
) -> Response {
    finish_with(&state, &session, &pages, answer, GOOGLE).await
}

/// The callback of a sign-in with `provider`: step 06 has one for each.
pub async fn finish_with(
    state: &AppState,
    session: &Session,
    pages: &kit::Session,
    answer: Answer,
    provider: &str,
) -> Response {
    let signed_in = async {
        let identity = verify(state, session, answer, provider).await?;
        sign_in(state, pages, provider, &identity).await
    };
    match signed_in.await {
        // A page of our own, so the address bar, the history and any
        // Referer no longer hold the code.
        Ok(()) => Redirect::to("/cabinet").into_response(),
        Err(failure) => failure.page(&state.site, state.label(provider)),
    }
}

// ANCHOR: callback
/// Who the provider says signed in, if this callback finishes the sign-in
/// this browser started with `provider`, and the ID token it brings is
/// valid.
pub async fn verify(
    state: &AppState,
    session: &Session,
    answer: Answer,
    provider: &str,
) -> Result<Identity, Failure> {
    // ANCHOR: state_check
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
    // ANCHOR_END: state_check
    // An error answer signs nobody in, so it is refused before anything
    // else: whoever sent it gains nothing.
    if let Some(error) = answer.error {
        return Err(Failure::Declined { error });
    }
    let pending = pending.ok_or(Failure::WrongState)?;
    // Back at the address of the provider the browser was sent to: with
    // two providers (step 06), a code that comes back to the other's
    // callback is one neither provider's flow expects (a mix-up).
    if pending.provider != provider {
        return Err(Failure::WrongState);
    }
    let oidc = state.provider(provider).ok_or(Failure::NotConfigured)?;
    let code = answer.code.ok_or(Failure::NoCode)?;
    if pending.is_stale() {
        return Err(Failure::Stale);
    }
    // ANCHOR: exchange_and_validate
    // One time limit for all the provider's part: the token, then the keys.
    let exchange_and_validate = async {
        let id_token = oidc.exchange(code, pending.verifier).await?;
        oidc.validate(&id_token, &pending.nonce).await
    };
    Ok(oidc.in_time(exchange_and_validate).await?)
    // ANCHOR_END: exchange_and_validate
}

/// Signs `identity` in to their account, made now at their first sign-in.
pub async fn sign_in(
    state: &AppState,
    pages: &kit::Session,
    provider: &str,
    identity: &Identity,
) -> Result<(), Failure> {
    let username =
        users::sign_in(&state.pool, provider, identity).await.map_err(Failure::internal)?;
    // A new session id, like every sign-in (step 01's `start`). The
    // session's data moves to the new id: this browser's pending key too.
    pages.sign_in(&username).await.map_err(Failure::internal)?;
    tracing::info!(username = ?username, provider = %provider, "signed in");
    Ok(())
}
// ANCHOR_END: callback
