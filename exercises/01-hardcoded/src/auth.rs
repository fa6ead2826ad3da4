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

const SIGNED_IN: &str = "signed_in";

/// What the session remembers about a signed-in user. The expiry lives on
/// the server: a cookie can be kept forever, a session must not be.
#[derive(Debug, Deserialize, Serialize)]
struct SignedIn {
    username: String,
    /// Unix seconds; pushed forward on every request (inactivity timeout).
    expires_at: i64,
}

/// The pages' session (`kit::Session`), kept by tower-sessions.
pub struct TowerSession {
    session: tower_sessions::Session,
    ttl: Duration,
}

#[async_trait]
impl kit::session::Sessions for TowerSession {
    async fn current_user(&self) -> Option<String> {
        let signed_in: SignedIn = self.session.get(SIGNED_IN).await.ok().flatten()?;
        if signed_in.expires_at <= now() {
            // Expired: forget it on the server, not only in the browser.
            let _ = self.session.flush().await;
            return None;
        }
        // Sliding expiry: every use buys another `ttl`.
        self.remember(&signed_in.username).await.ok()?;
        Some(signed_in.username)
    }

    async fn sign_in(&self, username: &str) -> Result<(), kit::session::Error> {
        // TODO(step 01): remember in the session that `username` is signed
        // in (`self.remember`), so that `current_user` finds them on the next
        // request. Give the session a new id first (`self.session.cycle_id()`):
        // an id that existed before sign-in must never become signed in.
        // See book/src/01-hardcoded.md, "Starting a session".
        let _ = username;
        todo!("start a session for the user")
    }

    async fn sign_out(&self) -> Result<(), kit::session::Error> {
        // `flush` deletes the session from the store, so the old cookie is
        // worth nothing even to someone who copied it, and tells the browser
        // to drop the cookie. Clearing only the cookie would leave it alive.
        Ok(self.session.flush().await?)
    }
}

impl TowerSession {
    async fn remember(&self, username: &str) -> Result<(), tower_sessions::session::Error> {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let signed_in =
            SignedIn { username: username.to_owned(), expires_at: now().saturating_add(ttl) };
        self.session.insert(SIGNED_IN, signed_in).await
    }
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

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

/// Wraps tower-sessions' session of this request into the pages' session.
async fn attach(State(ttl): State<Duration>, mut request: Request, next: Next) -> Response {
    if let Some(session) = request.extensions().get::<tower_sessions::Session>().cloned() {
        request.extensions_mut().insert(kit::Session::new(TowerSession { session, ttl }));
    }
    next.run(request).await
}
