//! Placeholder until the managed identity client lands (helper branch).
use std::sync::Arc;

pub struct Settings;
impl Settings {
    pub fn from_env() -> Result<Option<Settings>, String> {
        Ok(None)
    }
}
pub struct PriceClient;
impl PriceClient {
    pub fn new(_: Settings) -> Result<Self, String> {
        Ok(Self)
    }
}
pub fn routes(_: Option<Arc<PriceClient>>) -> axum::Router {
    axum::Router::new()
}
