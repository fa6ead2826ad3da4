//! What a handler needs from a session, whatever keeps it.
//!
//! Handlers take a [`Session`] and ask it three things: who is signed in,
//! sign this user in, sign out. How that is done is the concept of several
//! steps: with tower-sessions in memory (01, 02), in JSON files with a
//! cookie signed by hand (03), in SQL, with remember-me (04). Each of those steps implements
//! [`Sessions`] and puts a [`Session`] into every request; the handlers stay
//! the same.

use std::{ops::Deref, sync::Arc};

use async_trait::async_trait;
use axum::{
    extract::FromRequestParts,
    http::{StatusCode, request::Parts},
};
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore, cookie::SameSite};

use crate::{Config, memory_store::MemoryStore};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

// ANCHOR: sessions
/// The three things a page asks of a session.
#[async_trait]
pub trait Sessions: Send + Sync {
    /// The username signed in on this session, if any and not expired.
    async fn current_user(&self) -> Option<String>;
    /// Signs `username` in, under a new session id.
    async fn sign_in(&self, username: &str) -> Result<(), Error>;
    /// Ends the session, on the server and in the browser.
    async fn sign_out(&self) -> Result<(), Error>;
    /// Signs `username` in for longer than the browser runs: the sign-in
    /// form's "remember me" (step 04). Until a step teaches it, a plain
    /// sign-in.
    async fn sign_in_remembered(&self, username: &str) -> Result<(), Error> {
        self.sign_in(username).await
    }
}
// ANCHOR_END: sessions

/// The session of the request being handled; an extractor.
#[derive(Clone)]
pub struct Session(Arc<dyn Sessions>);

impl Session {
    pub fn new(sessions: impl Sessions + 'static) -> Self {
        Self(Arc::new(sessions))
    }
}

impl Deref for Session {
    type Target = dyn Sessions;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Session>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "No session layer: the step's router must add one.",
        ))
    }
}

// ANCHOR: cookie_layer
/// tower-sessions with the cookie every step uses: `session`, `HttpOnly`,
/// `SameSite=Lax` (so the cookie survives the top-level redirect back from
/// an identity provider), `Path=/`, `Secure` when served over HTTPS, and no
/// `Max-Age`: it lasts as long as the browser runs. How long the session
/// lives on the server is decided on the server, from `SESSION_TTL_SECS`.
pub fn cookie_layer<S: SessionStore + Clone>(store: S, config: &Config) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store)
        .with_name("session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_secure(config.secure_cookies())
        .with_expiry(Expiry::OnSessionEnd)
}
// ANCHOR_END: cookie_layer

/// An in-memory store: sessions vanish when the server stops (step 03 fixes that).
pub fn memory_layer(config: &Config) -> SessionManagerLayer<MemoryStore> {
    cookie_layer(MemoryStore::new(config.session_ttl), config)
}
