//! Step 02: people register themselves. Passwords are stored as argon2id
//! hashes in `users.json`, sign-out ends the session on the server, POSTs
//! from other sites are refused, and guessing is throttled per username.
//!
//! Everything step 01 already taught (the home page, the cabinet, `/api/me`,
//! starting and reading a session) is step 01's solution, used as a crate.

pub mod accounts;
pub mod routes;
mod same_origin;
mod throttle;

use std::sync::Arc;

use axum::{
    Router,
    extract::FromRef,
    middleware,
    routing::{get, post},
};
use step01_solution::routes as step01;

pub use accounts::Accounts;
pub use throttle::Throttle;

#[derive(Clone)]
pub struct AppState {
    pub accounts: Arc<Accounts>,
    pub throttle: Arc<Throttle>,
    pub site: kit::Site,
}

impl FromRef<AppState> for kit::Site {
    fn from_ref(state: &AppState) -> Self {
        state.site.clone()
    }
}

// ANCHOR: router
pub async fn app(config: &kit::Config) -> Result<Router, kit::serve::BoxError> {
    let state = AppState::open(config).await?;
    let routes = step01_solution::auth::with_sessions(routes(), config);
    Ok(refuse_cross_site(routes, config).with_state(state))
}

/// Every route of the step, without the session layer: step 03 puts the
/// same routes on sessions of its own.
pub fn routes() -> Router<AppState> {
    let private = Router::new()
        .route("/cabinet", get(step01::cabinet::show))
        .route("/api/me", get(step01::me::show))
        // The sign-out page names who is signed in: private too.
        .route("/logout", get(routes::logout::show).post(routes::logout::submit))
        .layer(kit::private::no_store());
    Router::new()
        .route("/", get(step01::home::show))
        .route("/login", post(routes::login::submit))
        .route("/register", get(routes::register::show).post(routes::register::submit))
        .route("/register/", get(routes::register::show))
        .merge(private)
}

/// Outermost: a cross-site POST is refused before anything else runs.
pub fn refuse_cross_site<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    config: &kit::Config,
) -> Router<S> {
    let ours = same_origin::Origin::of(&config.public_url);
    router.layer(middleware::from_fn_with_state(ours, same_origin::refuse_cross_site))
}
// ANCHOR_END: router

impl AppState {
    /// The step's state, with the accounts of `users.json`.
    pub async fn open(config: &kit::Config) -> Result<Self, kit::serve::BoxError> {
        Ok(Self::with_accounts(Accounts::open(&config.data_dir).await?, config))
    }

    /// The step's state with accounts kept elsewhere (step 04: in SQL).
    pub fn with_accounts(accounts: Accounts, config: &kit::Config) -> Self {
        Self {
            accounts: Arc::new(accounts),
            throttle: Arc::new(Throttle::default()),
            site: kit::Site { has_accounts: true, ..kit::Site::new(config.session_ttl) },
        }
    }
}
