//! Who is signed in: written into the session at sign-in, read back on
//! every request. The session itself is tower-sessions', in memory.

use std::time::Duration;

use async_trait::async_trait;
use axum::{
    Router,
    extract::{Request, State},
    middleware::{self, Next},
    response::Response,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The key of [`SignedIn`] in the session's data.
pub const SIGNED_IN: &str = "signed_in";

// ANCHOR: longest_session
/// However much it is used, a session ends this long after sign-in: then
/// the password is asked for again (ASVS V3.3.2).
pub const LONGEST_SESSION: Duration = Duration::from_secs(12 * 60 * 60);
// ANCHOR_END: longest_session

// ANCHOR: signed_in
/// What the session remembers about a signed-in user. The expiry lives on
/// the server: a cookie can be kept forever, a session must not be.
#[derive(Debug, Deserialize, Serialize)]
pub struct SignedIn {
    pub username: String,
    /// Unix seconds: the session ends here unless it is used before
    /// (inactivity timeout); use pushes it forward, up to `ends_at`.
    pub expires_at: i64,
    /// Unix seconds: the session ends here however much it is used.
    pub ends_at: i64,
}
// ANCHOR_END: signed_in

impl SignedIn {
    /// `username`, signed in from now: for `idle` at a time, at most `longest`.
    pub fn new(username: &str, idle: Duration, longest: Duration) -> Self {
        let now = now();
        let ends_at = now.saturating_add(seconds(longest));
        let expires_at = now.saturating_add(seconds(idle)).min(ends_at);
        Self { username: username.to_owned(), expires_at, ends_at }
    }
}

/// The pages' session (`kit::Session`), kept by tower-sessions.
pub struct TowerSession {
    session: tower_sessions::Session,
    ttl: Duration,
}

#[async_trait]
impl kit::session::Sessions for TowerSession {
    // ANCHOR: current_user
    async fn current_user(&self) -> Option<String> {
        let mut signed_in: SignedIn = self.session.get(SIGNED_IN).await.ok().flatten()?;
        let now = now();
        if signed_in.expires_at <= now || signed_in.ends_at <= now {
            // Expired: forget it on the server, not only in the browser.
            let _ = self.session.flush().await;
            return None;
        }
        // Sliding expiry: use buys another `ttl`, up to `ends_at`. Renewing
        // only once a tenth of it has passed spares the store a write on
        // every request.
        let renewed = now.saturating_add(seconds(self.ttl)).min(signed_in.ends_at);
        if renewed - signed_in.expires_at >= (seconds(self.ttl) / 10).max(1) {
            signed_in.expires_at = renewed;
            self.session.insert(SIGNED_IN, &signed_in).await.ok()?;
        }
        Some(signed_in.username)
    }
    // ANCHOR_END: current_user

    async fn sign_in(&self, username: &str) -> Result<(), kit::session::Error> {
        self.start(SignedIn::new(username, self.ttl, LONGEST_SESSION)).await
    }

    async fn sign_out(&self) -> Result<(), kit::session::Error> {
        // `flush` deletes the session from the store, so the old cookie is
        // worth nothing even to someone who copied it, and tells the browser
        // to drop the cookie. Clearing only the cookie would leave it alive.
        Ok(self.session.flush().await?)
    }
}

impl TowerSession {
    pub fn new(session: tower_sessions::Session, ttl: Duration) -> Self {
        Self { session, ttl }
    }

    // ANCHOR: start
    /// Starts a signed-in session: who, and until when.
    pub async fn start(&self, signed_in: SignedIn) -> Result<(), kit::session::Error> {
        // A new id at every sign-in: an id an attacker planted in the victim's
        // browser before sign-in (session fixation) never becomes signed in.
        self.session.cycle_id().await?;
        Ok(self.session.insert(SIGNED_IN, signed_in).await?)
    }
    // ANCHOR_END: start
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

// ANCHOR: layer
/// Gives every request of `router` a `kit::Session` kept by tower-sessions
/// in memory, with the contract's cookie.
pub fn with_sessions<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    config: &kit::Config,
) -> Router<S> {
    router
        .layer(middleware::from_fn_with_state(config.session_ttl, attach))
        .layer(kit::session::memory_layer(config))
}
// ANCHOR_END: layer

/// Wraps tower-sessions' session of this request into the pages' session.
async fn attach(State(ttl): State<Duration>, mut request: Request, next: Next) -> Response {
    if let Some(session) = request.extensions().get::<tower_sessions::Session>().cloned() {
        request.extensions_mut().insert(kit::Session::new(TowerSession::new(session, ttl)));
    }
    next.run(request).await
}
