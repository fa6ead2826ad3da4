//! `GET /auth/callback` (Google) and `GET /auth/microsoft/callback`: step
//! 05's callback, which now either signs in or, at the end of a link the
//! signed-in user asked for, links.

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use step05_solution::{
    AppState, GOOGLE,
    routes::{
        callback::{self, Answer},
        failure::Failure,
    },
};
use tower_sessions::Session;

use super::{link, refused::Refused};
use crate::{
    accounts::{self, Linked},
    microsoft::MICROSOFT,
};

pub async fn google(
    State(state): State<AppState>,
    session: Session,
    pages: kit::Session,
    Query(answer): Query<Answer>,
) -> Response {
    finish(&state, &session, &pages, answer, GOOGLE).await
}

pub async fn microsoft(
    State(state): State<AppState>,
    session: Session,
    pages: kit::Session,
    Query(answer): Query<Answer>,
) -> Response {
    finish(&state, &session, &pages, answer, MICROSOFT).await
}

// ANCHOR: finish
async fn finish(
    state: &AppState,
    session: &Session,
    pages: &kit::Session,
    answer: Answer,
    provider: &str,
) -> Response {
    let label = state.label(provider);
    let sent_back = answer.state.clone().unwrap_or_default();
    // Taken whatever happens next, if this callback brings back the state
    // of the sign-in the link started: a link is asked for one sign-in
    // only. Any other callback leaves it, as step 05 leaves the sign-in
    // under way: a forged one must not turn the link into a plain sign-in.
    let intent = link::take(session, &sent_back).await;
    let identity = match callback::verify(state, session, answer, provider).await {
        Ok(identity) => identity,
        Err(failure) => return failure.page(&state.site, label),
    };
    // A link, only if this is the sign-in the link started, for this
    // provider, and the user who asked is still the one signed in.
    let signed_in = pages.current_user().await;
    let linking = intent.filter(|intent| {
        intent.state == sent_back
            && intent.provider == provider
            && signed_in.as_deref() == Some(intent.username.as_str())
    });
    if let Some(intent) = linking {
        let username = intent.username;
        return match accounts::link(&state.pool, &username, provider, &identity).await {
            Ok(Linked::Now | Linked::Already) => {
                tracing::info!(username = ?username, provider = %provider, "linked");
                Redirect::to("/cabinet").into_response()
            }
            Ok(Linked::ToAnother) => Refused::ToAnother.page(&state.site, Some(username)),
            Ok(Linked::ProviderTaken) => Refused::ProviderTaken.page(&state.site, Some(username)),
            Err(error) => Failure::internal(error).page(&state.site, label),
        };
    }
    match sign_in(state, pages, provider, &identity).await {
        Ok(()) => Redirect::to("/cabinet").into_response(),
        Err(failure) => failure.page(&state.site, label),
    }
}
// ANCHOR_END: finish

async fn sign_in(
    state: &AppState,
    pages: &kit::Session,
    provider: &str,
    identity: &step05_solution::oidc::Identity,
) -> Result<(), Failure> {
    let username =
        accounts::sign_in(&state.pool, provider, identity).await.map_err(Failure::internal)?;
    // A new session id, as at every sign-in.
    pages.sign_in(&username).await.map_err(Failure::internal)?;
    tracing::info!(username = ?username, provider = %provider, "signed in");
    Ok(())
}
