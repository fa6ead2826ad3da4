//! The pages' session over the SQL store, with remember-me: a sign-in that
//! asks for it gets a cookie that outlives the browser.

use std::time::Duration;

use async_trait::async_trait;
use axum::{
    Router,
    extract::{Request, State},
    middleware::{self, Next},
    response::Response,
};
use step01_solution::auth::{TowerSession, keep_cookie_lifetime};

use crate::store::SqlStore;

/// How long sessions live unused: plain, and remembered.
#[derive(Clone, Copy)]
struct Lifetimes {
    session: Duration,
    remember: Duration,
}

pub struct SqlSession {
    session: TowerSession,
    remember_ttl: Duration,
}

#[async_trait]
impl kit::session::Sessions for SqlSession {
    async fn current_user(&self) -> Option<String> {
        self.session.current_user().await
    }

    // ANCHOR: sign_in
    async fn sign_in(&self, username: &str, remember: bool) -> Result<(), kit::session::Error> {
        // Remembered: the session lasts REMEMBER_TTL_SECS unused, and so
        // does the cookie (Max-Age). Otherwise the cookie has no Max-Age and
        // the browser drops it when it closes.
        self.session.start(username, remember.then_some(self.remember_ttl)).await
    }
    // ANCHOR_END: sign_in

    async fn sign_out(&self) -> Result<(), kit::session::Error> {
        self.session.sign_out().await
    }
}

// ANCHOR: layer
/// Gives every request of `router` a session kept in the `sessions` table,
/// with the contract's cookie.
pub fn with_sql_sessions<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    store: SqlStore,
    config: &kit::Config,
) -> Router<S> {
    let lifetimes = Lifetimes { session: config.session_ttl, remember: config.remember_ttl };
    router
        .layer(middleware::from_fn_with_state(lifetimes, attach))
        .layer(kit::session::cookie_layer(store, config))
}
// ANCHOR_END: layer

async fn attach(State(lifetimes): State<Lifetimes>, mut request: Request, next: Next) -> Response {
    let session = request.extensions().get::<tower_sessions::Session>().cloned();
    if let Some(session) = &session {
        let session = SqlSession {
            session: TowerSession::new(session.clone(), lifetimes.session),
            remember_ttl: lifetimes.remember,
        };
        request.extensions_mut().insert(kit::Session::new(session));
    }
    let response = next.run(request).await;
    if let Some(session) = &session {
        keep_cookie_lifetime(session).await;
    }
    response
}
