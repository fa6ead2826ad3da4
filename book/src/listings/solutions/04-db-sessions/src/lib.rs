//! Step 04: the accounts and the sessions move into a database, SQLite by
//! default and PostgreSQL by URL, through sqlx. Any number of servers can
//! share it: signed in on one is signed in on all. Sign-in can ask to be
//! remembered beyond the browser's session.
//!
//! Step 02's pages, rules and hashing are used as they are; step 01's
//! tower-sessions glue now runs over a store written here, and learns
//! remember-me.

pub mod db;
pub mod readers;
pub mod remember;
pub mod store;
pub mod users;

use axum::{Router, routing::post};
use step02_solution::{Accounts, AppState};

use crate::{store::SqlStore, users::SqlUsers};

// ANCHOR: app
pub async fn app(config: &kit::Config) -> Result<Router, kit::serve::BoxError> {
    let pool = db::open(&db::url(config.database_url.as_deref(), &config.data_dir)).await?;
    let store = SqlStore::new(pool.clone(), config.session_ttl);
    store.clone().spawn_sweep();
    let mut state = AppState::with_accounts(Accounts::new(SqlUsers::new(pool)), config);
    state.site.sign_in.in_form = remember::REMEMBER_BOX;
    let routes = remember::with_sql_sessions(routes(state), store, config);
    Ok(step02_solution::refuse_cross_site(routes, config))
}

/// Step 02's routes, with a sign-in that reads the "remember me" box; any
/// other request is step 02's. Without the session layer: step 05 puts
/// them under its own routes.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/login", post(remember::login))
        .with_state(state.clone())
        .fallback_service(step02_solution::routes().with_state(state))
}
// ANCHOR_END: app
