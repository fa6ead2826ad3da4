//! Step 01: a login form, a page only signed-in users see, and a session
//! cookie that remembers who they are. The users are compiled in.
// Until the TODOs are written, some imports and fields have no use yet.
#![allow(unused_imports, dead_code)]

pub mod auth;
pub mod routes;
mod users;

use std::sync::Arc;

use axum::{
    Router,
    extract::FromRef,
    routing::{get, post},
};

pub use users::{User, Users};

/// The state of step 01's app: its users, and what every page needs.
/// Handlers take just the part they use (`State<kit::Site>`), so later
/// steps can mount them on a state of their own.
#[derive(Clone)]
pub struct AppState {
    pub users: Arc<Users>,
    pub site: kit::Site,
}

impl FromRef<AppState> for Arc<Users> {
    fn from_ref(state: &AppState) -> Self {
        state.users.clone()
    }
}

impl FromRef<AppState> for kit::Site {
    fn from_ref(state: &AppState) -> Self {
        state.site.clone()
    }
}

pub fn app(config: &kit::Config) -> Router {
    let state = AppState {
        users: Arc::new(Users::compiled_in()),
        site: kit::Site::new(config.session_ttl),
    };
    // What only a signed-in user may see must never sit in a cache.
    let private = Router::new()
        .route("/cabinet", get(routes::cabinet::show))
        .route("/api/me", get(routes::me::show))
        .layer(kit::private::no_store());
    let routes = Router::new()
        .route("/", get(routes::home::show))
        .route("/login", post(routes::login::submit))
        .merge(private);
    auth::with_sessions(routes, config).with_state(state)
}
