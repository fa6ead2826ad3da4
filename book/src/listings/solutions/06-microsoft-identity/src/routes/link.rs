//! `POST /account/link/<provider>`: the signed-in user links a second
//! provider's account to theirs, by signing in with it now.

use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use step05_solution::{AppState, routes::login_google};
use tower_sessions::Session;

use super::refused::Refused;

/// Where in the session the link under way is kept.
const KEY: &str = "link_under_way";

/// A link asked for by a signed-in user: it applies to the callback of the
/// sign-in started with it, and to no other.
#[derive(Serialize, Deserialize)]
pub struct Intent {
    pub provider: String,
    pub username: String,
    /// The `state` of that sign-in.
    pub state: String,
}

// ANCHOR: start
pub async fn start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    session: Session,
    pages: kit::Session,
) -> Response {
    // A POST, so another site cannot start it with a link or an image:
    // step 02's cross-site check refuses a form posted from elsewhere.
    let Some(username) = pages.current_user().await else {
        return Refused::NotSignedIn.page(&state.site, None);
    };
    if state.provider(&provider).is_none() {
        return Refused::UnknownProvider.page(&state.site, Some(username));
    }
    // The same sign-in as `/login/<provider>`: a fresh state, nonce and
    // PKCE verifier. Only the callback that brings this state back links:
    // a sign-in started any other way, before or after, signs in.
    match login_google::authorization_url(&state, &session, &provider).await {
        Ok((url, sent)) => {
            let intent = Intent { provider, username, state: sent };
            if let Err(error) = session.insert(KEY, intent).await {
                tracing::error!(%error, "cannot keep the link under way");
                return step05_solution::routes::failure::Failure::internal(error)
                    .page(&state.site, "the provider");
            }
            Redirect::to(url.as_str()).into_response()
        }
        Err(failure) => failure.page(&state.site, state.label(&provider)),
    }
}
// ANCHOR_END: start

/// The link under way in this browser, taken for good if `state` is its
/// sign-in's: that callback uses it once, or not at all. A callback with
/// another state (forged, or of a plain sign-in) leaves it where it is.
pub async fn take(session: &Session, state: &str) -> Option<Intent> {
    let intent = session.get::<Intent>(KEY).await.ok().flatten()?;
    if intent.state != state {
        return None;
    }
    session.remove::<Intent>(KEY).await.ok().flatten()
}
