//! Signing in with an OpenID provider: Google by default, and any provider
//! that publishes a discovery document (the grader's mock provider, say).
//!
//! # Why `oauth2`, and not `openidconnect`
//!
//! This module is built on the `oauth2` crate, with `jsonwebtoken` for the
//! ID token's signature. `oauth2` does the OAuth 2.0 parts that are easy to
//! get subtly wrong and teach little once understood: random `state`
//! values, the PKCE verifier and its S256 challenge, the encoding of the
//! authorization URL, the token request with the client's secret in an
//! `Authorization: Basic` header, and reading RFC 6749's error answers.
//!
//! What makes the sign-in *OpenID Connect* is written here, in the open:
//! discovery, the provider's keys, and checking the ID token claim by
//! claim. `openidconnect` would do all of that inside one `verify` call.
//! That is the right choice for an application, but this step is about
//! what that call checks and why, so each check is a line you can read,
//! and a test that fails when the line is missing.

mod authorize;
mod dialect;
mod discovery;
mod error;
mod exchange;
mod fetched;
mod http;
mod id_token;
mod keys;
#[cfg(test)]
pub(crate) mod test_provider;

use std::{future::Future, sync::Arc, time::Duration};

pub use self::{
    dialect::{Dialect, Standard},
    error::{Error, Invalid},
    id_token::Identity,
};
use self::{discovery::Discovered, fetched::Fetched, keys::KeySet};

/// The most a request to the app may spend talking to the provider, from
/// discovery to the keys, all of it together ([`Provider::in_time`]). The
/// contract: a provider slower than this gives the user a 502 page. Each
/// HTTP request has the same bound, so that a fetch that no request waits
/// for any more still ends.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How long a failed fetch of the discovery document or the keys is
/// remembered. Meanwhile sign-ins fail at once with its error, rather than
/// each waiting out [`TIMEOUT`] on a provider that is down.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

/// How the app is known to its provider.
#[derive(Clone)]
pub struct Settings {
    /// `OIDC_ISSUER`, exactly as the provider writes it in its tokens.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where the provider sends the browser back: `$PUBLIC_URL/auth/callback`,
    /// registered with the provider character for character.
    pub redirect_uri: String,
    /// [`TIMEOUT`], but in tests.
    pub timeout: Duration,
    /// [`RETRY_AFTER`], but in tests.
    pub retry_after: Duration,
    /// How this provider's tokens read: [`Standard`] for Google.
    pub dialect: Arc<dyn Dialect>,
}

impl Settings {
    /// The settings `config` gives, or `None` when the client id or secret
    /// is missing: the server then runs without Sign in with Google.
    pub fn from_config(config: &kit::Config) -> Option<Self> {
        Some(Self {
            issuer: config.oidc_issuer.clone(),
            client_id: config.oidc_client_id.clone()?,
            client_secret: config.oidc_client_secret.clone()?,
            redirect_uri: format!("{}/auth/callback", config.public_url.trim_end_matches('/')),
            timeout: TIMEOUT,
            retry_after: RETRY_AFTER,
            dialect: Arc::new(Standard),
        })
    }
}

/// One OpenID provider, as the app knows it.
///
/// Nothing is fetched when it is made: the server starts, and serves
/// password sign-in, even while the provider cannot be reached. The
/// discovery document is fetched at the first sign-in and kept; the keys
/// are fetched when a token names one not seen yet.
pub struct Provider {
    settings: Settings,
    http: reqwest::Client,
    discovered: Fetched<Discovered>,
    keys: Fetched<KeySet>,
}

impl Provider {
    pub fn new(settings: Settings) -> Result<Self, Error> {
        Ok(Self {
            http: http::client(settings.timeout)?,
            discovered: Fetched::new(settings.retry_after),
            keys: Fetched::new(settings.retry_after),
            settings,
        })
    }

    // ANCHOR: in_time
    /// Runs `work`, everything one request asks of the provider, within
    /// the timeout: [`TIMEOUT`] for all of it together, not for each of its
    /// requests (a code exchanged at 9 s, then keys fetched for 9 s, would
    /// be 18 s).
    pub async fn in_time<T>(
        &self,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let timeout = self.settings.timeout;
        tokio::time::timeout(timeout, work).await.unwrap_or_else(|_| {
            Err(Error::Unreachable(format!("no answer within {} s", timeout.as_secs_f32())))
        })
    }
    // ANCHOR_END: in_time

    /// The discovery document, fetched at the first call and kept. A failed
    /// fetch is not kept: a sign-in after [`RETRY_AFTER`] tries again.
    async fn discovered(&self) -> Result<Arc<Discovered>, Error> {
        if let Some(discovered) = self.discovered.kept() {
            return Ok(discovered);
        }
        let (http, settings) = (self.http.clone(), self.settings.clone());
        self.discovered.fetch(|| async move { discovery::fetch(&http, &settings).await }).await
    }
}
