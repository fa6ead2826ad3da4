//! The price client: a token from the cache, the prices with it, all of it
//! within one time bound.

use std::{sync::Arc, time::Instant};

use super::{Error, Settings, http, identity, identity::AccessToken, service, token::Tokens};

/// Gets the prices from the price service with the server's own managed
/// identity. Made once at start and shared by every request.
///
/// Nothing is fetched when it is made: the server starts even while the
/// identity endpoint cannot be reached.
pub struct PriceClient {
    settings: Arc<Settings>,
    /// For the identity endpoint: no proxy.
    identity_http: reqwest::Client,
    service_http: reqwest::Client,
    tokens: Tokens,
}

impl PriceClient {
    pub fn new(settings: Settings) -> Result<Self, Error> {
        Ok(Self {
            identity_http: http::identity_client(settings.timeout)?,
            service_http: http::service_client(settings.timeout)?,
            tokens: Tokens::new(settings.refresh_margin, settings.retry_after),
            settings: Arc::new(settings),
        })
    }

    // ANCHOR: prices
    /// The price list, as the price service answers it. The whole of it,
    /// token fetch and price call together, within `settings.timeout`.
    pub async fn prices(&self) -> Result<serde_json::Value, Error> {
        let timeout = self.settings.timeout;
        tokio::time::timeout(timeout, self.token_then_prices())
            .await
            .unwrap_or(Err(Error::Timeout(timeout)))
    }

    async fn token_then_prices(&self) -> Result<serde_json::Value, Error> {
        let started = Instant::now();
        let token = self.token().await?;
        match self.ask(&token).await {
            // A token kept from before this request may have been revoked
            // since: forget it and try once with a new one. A token that
            // came during this request is not: a new one would most likely
            // be refused the same way (a wrong resource, a missing role).
            Err(Error::Refused) if token.fetched_at < started => {
                self.tokens.forget(&token);
                self.ask(&self.token().await?).await
            }
            answer => answer,
        }
    }
    // ANCHOR_END: prices

    async fn token(&self) -> Result<Arc<AccessToken>, Error> {
        let (http, settings) = (self.identity_http.clone(), Arc::clone(&self.settings));
        self.tokens.get(|| async move { identity::fetch(&http, &settings).await }).await
    }

    async fn ask(&self, token: &Arc<AccessToken>) -> Result<serde_json::Value, Error> {
        service::prices(&self.service_http, &self.settings.prices_url, token).await
    }
}
