//! The session cookie's settings, as the contract fixes them.

use tower_sessions::{Expiry, SessionManagerLayer, SessionStore, cookie::SameSite};

use crate::{Config, memory_store::MemoryStore};

/// The cookie every step uses: `session`, `HttpOnly`, `SameSite=Lax` (so the
/// cookie survives the top-level redirect back from an identity provider),
/// `Path=/`, `Secure` when served over HTTPS, and no `Max-Age`: it lasts as
/// long as the browser runs. How long the session lives on the server is
/// decided on the server, from `SESSION_TTL_SECS`.
pub fn layer<S: SessionStore + Clone>(store: S, config: &Config) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store)
        .with_name("session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_secure(config.secure_cookies())
        .with_expiry(Expiry::OnSessionEnd)
}

/// An in-memory store: sessions vanish when the server stops (step 03 fixes that).
pub fn memory_layer(config: &Config) -> SessionManagerLayer<MemoryStore> {
    layer(MemoryStore::new(config.session_ttl), config)
}
