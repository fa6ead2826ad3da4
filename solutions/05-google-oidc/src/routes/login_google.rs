//! `GET /login/google`: starts a sign-in with Google and sends the browser
//! there. Step 06's `/login/microsoft` is the same with another provider.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use oauth2::url::Url;
use tower_sessions::Session;

use super::failure::Failure;
use crate::{AppState, GOOGLE, pending};

pub async fn start(State(state): State<AppState>, session: Session) -> Response {
    start_with(&state, &session, GOOGLE).await
}

// ANCHOR: start
/// Sends the browser to `provider`'s sign-in.
pub async fn start_with(state: &AppState, session: &Session, provider: &str) -> Response {
    match authorization_url(state, session, provider).await {
        // 303: the browser GETs the provider's page.
        Ok((url, _)) => Redirect::to(url.as_str()).into_response(),
        Err(failure) => failure.page(&state.site, state.label(provider)),
    }
}

/// The address of `provider`'s sign-in, and the `state` it carries: the
/// sign-in under way in this browser from now on.
pub async fn authorization_url(
    state: &AppState,
    session: &Session,
    provider: &str,
) -> Result<(Url, String), Failure> {
    let oidc = state.provider(provider).ok_or(Failure::NotConfigured)?;
    // Within the time limit: the first sign-in fetches the discovery document.
    let (url, pending) = oidc.in_time(oidc.authorization_request()).await?;
    // The secrets stay on the server, under a key in this browser's
    // session; the browser carries only the session's cookie.
    pending::keep(&state.pool, session, provider, &pending).await.map_err(Failure::internal)?;
    Ok((url, pending.state))
}
// ANCHOR_END: start
