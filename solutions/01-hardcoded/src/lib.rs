//! Step 01: a login form, a page only signed-in users see, and a session
//! cookie that remembers who they are. The users are compiled in.
// exercise:cut
// exercise:as
//~ // Until the TODOs are written, some imports and fields have no use yet.
//~ #![allow(unused_imports, dead_code)]
// exercise:end

mod auth;
mod routes;
mod users;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    routing::{get, post},
};

pub use users::{User, Users};

#[derive(Clone)]
pub struct AppState {
    pub users: Arc<Users>,
    pub session_ttl: Duration,
}

// ANCHOR: router
pub fn app(config: &kit::Config) -> Router {
    let state = AppState {
        users: Arc::new(Users::compiled_in()),
        session_ttl: config.session_ttl,
    };
    // What only a signed-in user may see must never sit in a cache.
    let private = Router::new()
        .route("/cabinet", get(routes::cabinet::show))
        .route("/api/me", get(routes::me::show))
        .layer(kit::private::no_store());
    Router::new()
        .route("/", get(routes::home::show))
        .route("/login", post(routes::login::submit))
        .merge(private)
        .layer(kit::session::memory_layer(config))
        .with_state(state)
}
// ANCHOR_END: router
