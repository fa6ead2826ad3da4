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

/// However much it is used, a session ends this long after sign-in: then
/// the password is asked for again (ASVS V3.3.2). A remember-me session
/// (step 04) lasts `REMEMBER_TTL_SECS` instead.
pub const LONGEST_SESSION: Duration = Duration::from_secs(12 * 60 * 60);

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
    /// Remember-me (step 04): the cookie lasts until `ends_at` (`Max-Age`)
    /// instead of ending with the browser, and use does not extend it.
    #[serde(default)]
    pub remembered: bool,
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
        if !signed_in.remembered {
            // Sliding expiry: use buys another `ttl`, up to `ends_at`.
            // Renewing only once a tenth of it has passed spares the store
            // a write on every request.
            let renewed = now.saturating_add(seconds(self.ttl)).min(signed_in.ends_at);
            if renewed - signed_in.expires_at >= (seconds(self.ttl) / 10).max(1) {
                signed_in.expires_at = renewed;
                self.session.insert(SIGNED_IN, &signed_in).await.ok()?;
            }
        }
        Some(signed_in.username)
    }
    // ANCHOR_END: current_user

    // ANCHOR: sign_in
    async fn sign_in(&self, username: &str, _remember: bool) -> Result<(), kit::session::Error> {
        // Remember-me arrives in step 04, which calls `start` itself.
        self.start(username, None).await
    }
    // ANCHOR_END: sign_in

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
    /// Signs `username` in. With a `lifetime` (remember-me), the session
    /// lasts that long unused and the cookie gets it as `Max-Age`; without
    /// one, the cookie ends with the browser.
    pub async fn start(
        &self,
        username: &str,
        lifetime: Option<Duration>,
    ) -> Result<(), kit::session::Error> {
        // A new id at every sign-in: an id an attacker planted in the victim's
        // browser before sign-in (session fixation) never becomes signed in.
        self.session.cycle_id().await?;
        Ok(self.remember(username, lifetime).await?)
    }
    // ANCHOR_END: start

    /// Writes who is signed in, and until when, into the session: for
    /// `lifetime` if it is given (remember-me, and the cookie's `Max-Age`),
    /// else for `ttl` at a time, at most [`LONGEST_SESSION`].
    async fn remember(
        &self,
        username: &str,
        lifetime: Option<Duration>,
    ) -> Result<(), tower_sessions::session::Error> {
        let now = now();
        let signed_in = match lifetime {
            Some(lifetime) => {
                self.session.set_expiry(Some(Expiry::OnInactivity(time_duration(lifetime))));
                let ends_at = now.saturating_add(seconds(lifetime));
                SignedIn {
                    username: username.to_owned(),
                    expires_at: ends_at,
                    ends_at,
                    remembered: true,
                }
            }
            None => {
                let ends_at = now.saturating_add(seconds(LONGEST_SESSION));
                let expires_at = now.saturating_add(seconds(self.ttl)).min(ends_at);
                SignedIn { username: username.to_owned(), expires_at, ends_at, remembered: false }
            }
        };
        self.session.insert(SIGNED_IN, signed_in).await
    }
}

// ANCHOR: keep_cookie_lifetime
/// Run after the handler: a remembered session's cookie keeps its
/// `Max-Age` whenever the session is written. tower-sessions does not store
/// a cookie's lifetime with the session, so without this any write (a
/// sign-in with a provider starting, say) would send the cookie again
/// without `Max-Age`, and "remember me" would end with the browser.
pub async fn keep_cookie_lifetime(session: &tower_sessions::Session) {
    // Set this request (at sign-in), or nothing to send: leave it alone.
    let default_expiry = matches!(session.expiry(), None | Some(Expiry::OnSessionEnd));
    if !session.is_modified() || !default_expiry {
        return;
    }
    let Ok(Some(signed_in)) = session.get::<SignedIn>(SIGNED_IN).await else {
        return;
    };
    if let (true, Ok(ends_at)) =
        (signed_in.remembered, OffsetDateTime::from_unix_timestamp(signed_in.ends_at))
    {
        session.set_expiry(Some(Expiry::AtDateTime(ends_at)));
    }
}
// ANCHOR_END: keep_cookie_lifetime

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

fn time_duration(duration: Duration) -> time::Duration {
    time::Duration::try_from(duration).unwrap_or(time::Duration::MAX)
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
    let session = request.extensions().get::<tower_sessions::Session>().cloned();
    if let Some(session) = &session {
        request.extensions_mut().insert(kit::Session::new(TowerSession::new(session.clone(), ttl)));
    }
    let response = next.run(request).await;
    if let Some(session) = &session {
        keep_cookie_lifetime(session).await;
    }
    response
}
