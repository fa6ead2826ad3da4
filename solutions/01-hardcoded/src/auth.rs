//! Who is signed in: written into the session at sign-in, read back on
//! every request.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::Session;

const SIGNED_IN: &str = "signed_in";

/// What the session remembers about a signed-in user. The expiry lives on
/// the server: a cookie can be kept forever, a session must not be.
#[derive(Debug, Deserialize, Serialize)]
struct SignedIn {
    username: String,
    /// Unix seconds; pushed forward on every request (inactivity timeout).
    expires_at: i64,
}

// ANCHOR: sign_in
/// Signs `username` in on this session.
pub async fn sign_in(
    session: &Session,
    username: &str,
    ttl: Duration,
) -> Result<(), tower_sessions::session::Error> {
    // exercise:cut
    // A new id at every sign-in: an id an attacker planted in the victim's
    // browser before sign-in (session fixation) never becomes signed in.
    session.cycle_id().await?;
    remember(session, username, ttl).await
    // exercise:as
    // TODO(step 01): remember in `session` that `username` is signed in, so
    // that `current_user` finds them on the next request. Give the session a
    // new id first: an id that existed before sign-in must never become
    // signed in. See book/src/01-hardcoded.md, "Starting a session".
    //~ let _ = (session, username, ttl);
    //~ todo!("start a session for the user")
    // exercise:end
}
// ANCHOR_END: sign_in

// ANCHOR: current_user
/// The username signed in on this session, if any and not expired.
pub async fn current_user(session: &Session, ttl: Duration) -> Option<String> {
    let signed_in: SignedIn = session.get(SIGNED_IN).await.ok().flatten()?;
    if signed_in.expires_at <= now() {
        // Expired: forget it on the server, not only in the browser.
        let _ = session.flush().await;
        return None;
    }
    // Sliding expiry: every use buys another `ttl`.
    remember(session, &signed_in.username, ttl).await.ok()?;
    Some(signed_in.username)
}
// ANCHOR_END: current_user

async fn remember(
    session: &Session,
    username: &str,
    ttl: Duration,
) -> Result<(), tower_sessions::session::Error> {
    let expires_at = now().saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
    let username = username.to_owned();
    session.insert(SIGNED_IN, SignedIn { username, expires_at }).await
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}
