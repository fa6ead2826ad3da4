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
use tower_sessions::Expiry;

/// The key of [`SignedIn`] in the session's data.
pub const SIGNED_IN: &str = "signed_in";

/// What the session remembers about a signed-in user. The expiry lives on
/// the server: a cookie can be kept forever, a session must not be.
#[derive(Debug, Deserialize, Serialize)]
pub struct SignedIn {
    pub username: String,
    /// Unix seconds; pushed forward as the session is used (inactivity timeout).
    pub expires_at: i64,
    /// Set for a remember-me session (step 04): its lifetime in seconds,
    /// which is also the cookie's `Max-Age`. Absent: the session ends with
    /// the browser, or after `SESSION_TTL_SECS` unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remember_secs: Option<u64>,
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
        let lifetime = signed_in.remember_secs.map(Duration::from_secs);
        // Sliding expiry: use buys another lifetime. Renewing at most once a
        // tenth of it spares the store a write on every request.
        let lifetime_secs = seconds(lifetime.unwrap_or(self.ttl));
        if signed_in.expires_at - now() < lifetime_secs - lifetime_secs / 10 {
            self.remember(&signed_in.username, lifetime).await.ok()?;
        }
        Some(signed_in.username)
    }

    async fn sign_in(&self, username: &str, _remember: bool) -> Result<(), kit::session::Error> {
        // Remember-me arrives in step 04, which calls `start` itself.
        self.start(username, None).await
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

    /// Signs `username` in. With a `lifetime` (remember-me), the session
    /// lasts that long unused and the cookie gets it as `Max-Age`; without
    /// one, the cookie ends with the browser.
    pub async fn start(
        &self,
        username: &str,
        lifetime: Option<Duration>,
    ) -> Result<(), kit::session::Error> {
        // TODO(step 01): remember in the session that `username` is signed
        // in (`self.remember(username, lifetime)`), so that `current_user` finds them on the next
        // request. Give the session a new id first (`self.session.cycle_id()`):
        // an id that existed before sign-in must never become signed in.
        // See book/src/01-hardcoded.md, "Starting a session".
        let _ = (username, lifetime);
        todo!("start a session for the user")
    }

    /// Writes who is signed in, and until when, into the session.
    async fn remember(
        &self,
        username: &str,
        lifetime: Option<Duration>,
    ) -> Result<(), tower_sessions::session::Error> {
        if let Some(lifetime) = lifetime {
            // tower-sessions does not store a cookie's lifetime with the
            // session: say it at every renewal, or the renewed cookie would
            // lose its Max-Age and end with the browser after all.
            self.session.set_expiry(Some(Expiry::OnInactivity(time_duration(lifetime))));
        }
        let expires_at = now().saturating_add(seconds(lifetime.unwrap_or(self.ttl)));
        let remember_secs = lifetime.map(|l| l.as_secs());
        let signed_in = SignedIn { username: username.to_owned(), expires_at, remember_secs };
        self.session.insert(SIGNED_IN, signed_in).await
    }
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

fn time_duration(duration: Duration) -> time::Duration {
    time::Duration::try_from(duration).unwrap_or(time::Duration::MAX)
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
        request.extensions_mut().insert(kit::Session::new(TowerSession::new(session, ttl)));
    }
    next.run(request).await
}
