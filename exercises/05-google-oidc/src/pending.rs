//! The sign-in under way in this browser, between `/login/google` and
//! `/auth/callback`: the secrets its callback must match, kept on the
//! server in the browser's session. Nobody is signed in on that session
//! yet; in SQL it is a row whose `user_id` is NULL.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use step01_solution::auth::SIGNED_IN;
use time::OffsetDateTime;
use tower_sessions::Session;

/// Where in the session's data the pending sign-in is kept.
const KEY: &str = "oidc_pending";

/// How long someone may take at the provider's pages. Codes live for
/// minutes too; an older callback is refused rather than exchanged.
pub const LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The values sent with the authorization request that only this browser's
/// session knows. No `Debug`: they are secrets until the sign-in ends.
#[derive(Deserialize, Serialize)]
pub struct Pending {
    /// Comes back on the callback: proves the callback belongs to a
    /// sign-in this browser started (no login CSRF).
    pub state: String,
    /// Comes back inside the ID token: proves the token was made for this
    /// sign-in, not replayed from another.
    pub nonce: String,
    /// PKCE: sent to the token endpoint with the code, proves that whoever
    /// redeems the code started the sign-in.
    pub verifier: String,
    /// Unix seconds.
    pub started_at: i64,
}

impl Pending {
    pub fn new(state: String, nonce: String, verifier: String) -> Self {
        Self { state, nonce, verifier, started_at: now() }
    }

    pub fn is_stale(&self) -> bool {
        now().saturating_sub(self.started_at) > LIFETIME.as_secs() as i64
    }
}

/// Keeps `pending` in the session, in place of any earlier one: the
/// latest sign-in started in this browser is the one that can finish.
pub async fn keep(
    session: &Session,
    pending: Pending,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(KEY, pending).await
}

/// Takes the pending sign-in out of the session, for good: the first
/// callback consumes it, whatever it holds, so a callback replayed
/// afterwards finds nothing to match.
pub async fn take(session: &Session) -> Result<Option<Pending>, tower_sessions::session::Error> {
    let Some(value) = session.remove_value(KEY).await? else {
        return Ok(None);
    };
    // Stored now, not with the answer: tower-sessions saves nothing after
    // an answer of 500 or more, and a 502 must not leave the sign-in behind.
    // A session nobody is signed in on held nothing else: it goes entirely.
    if session.get_value(SIGNED_IN).await?.is_none() {
        session.flush().await?;
    } else {
        session.save().await?;
    }
    Ok(serde_json::from_value(value).ok())
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}
