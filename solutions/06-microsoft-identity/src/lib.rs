//! Step 06: Sign in with Microsoft beside Google, a second provider linked
//! to an account, and a call to a price service with the server's own
//! managed identity. (Being written.)

pub mod prices;

use axum::Router;

pub async fn app(config: &kit::Config) -> Result<Router, kit::serve::BoxError> {
    step05_solution::app(config).await
}
