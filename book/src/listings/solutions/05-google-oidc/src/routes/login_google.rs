//! `GET /login/google`: starts a sign-in with Google and sends the browser
//! there.

use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use oauth2::url::Url;
use tower_sessions::Session;

use super::failure::Failure;
use crate::{AppState, GOOGLE, pending};

// ANCHOR: start
pub async fn start(State(state): State<AppState>, session: Session) -> Response {
    match authorization_url(&state, &session).await {
        // 303: the browser GETs the provider's page.
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(failure) => failure.page(&state.site),
    }
}

async fn authorization_url(state: &AppState, session: &Session) -> Result<Url, Failure> {
    let google = state.provider(GOOGLE).ok_or(Failure::NotConfigured)?;
    // Within the time limit: the first sign-in fetches the discovery document.
    let (url, pending) = google.in_time(google.authorization_request()).await?;
    // The secrets stay on the server, under a key in this browser's
    // session; the browser carries only the session's cookie.
    pending::keep(&state.pool, session, GOOGLE, &pending).await.map_err(Failure::internal)?;
    Ok(url)
}
// ANCHOR_END: start
