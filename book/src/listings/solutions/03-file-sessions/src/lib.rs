//! Step 03: the session layer written by hand. A session is a JSON file in
//! `$DATA_DIR/sessions/`, named by a random id; the browser holds the id in
//! a cookie signed with HMAC-SHA256, so a forged or altered id is refused
//! before any file is opened.
//!
//! Everything else is step 02's app, mounted on these sessions instead of
//! tower-sessions'.

pub mod layer;
pub mod session_id;
pub mod signing;
pub mod store;

use axum::Router;

use crate::{layer::FileSessions, signing::Signer, store::FileStore};

// ANCHOR: app
pub async fn app(config: &kit::Config) -> Result<Router, kit::serve::BoxError> {
    let signer = Signer::new(config.session_secret.as_deref())?;
    let store = FileStore::open(&config.data_dir)?;
    let sessions = FileSessions::new(store, signer, config);
    sessions.spawn_sweep();
    let state = step02_solution::AppState::open(config).await?;
    let routes = layer::with_file_sessions(step02_solution::routes(), sessions);
    Ok(step02_solution::refuse_cross_site(routes, config).with_state(state))
}
// ANCHOR_END: app
