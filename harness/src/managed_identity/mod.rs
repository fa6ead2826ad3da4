//! A managed identity, as Azure App Service gives one to an app, and a
//! service that trusts it: the two sides of step 06's call to a price
//! service, on loopback.
//!
//! The identity endpoint (`identity_endpoint`) hands out tokens for a
//! resource to whoever sends the secret `X-IDENTITY-HEADER`; the price
//! service (`price_service`) answers `GET /prices` to a bearer of one. A
//! test can make either side down, slow or failing ([`Fault`]), shorten
//! the tokens' lifetime, and read every request (`log`).

mod identity_endpoint;
mod log;
mod price_service;
mod serve;
#[cfg(test)]
mod tests;

use std::{
    collections::HashMap,
    net::Ipv4Addr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{Router, routing::get};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use tokio::{net::TcpListener, task::JoinHandle};

pub use log::{NO_ANSWER, PriceRequest, TokenRequest};
use serve::Which;

/// The resource the price service is, as the app asks a token for it.
pub const RESOURCE: &str = "api://authlings-prices";

/// App Service's tokens live a day.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// How long [`Fault::Slow`] holds an answer back unless changed: longer
/// than the 10 s a server may wait.
pub const DEFAULT_SLOW: Duration = Duration::from_secs(15);

/// A way one of the two services misbehaves, until it is changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The request is read, logged, and its connection closed without an
    /// answer: the client gets an error at once.
    Down,
    /// The answer is held back for [`ManagedIdentity::set_slow`]'s delay
    /// (15 s unless changed), then given as usual.
    Slow,
    /// A bare 500.
    ServerError,
    /// Identity endpoint only: the token is for another resource (and the
    /// answer's `resource` says so), so the price service refuses it.
    WrongResource,
}

struct Settings {
    lifetime: Duration,
    identity_fault: Option<Fault>,
    price_fault: Option<Fault>,
    slow: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lifetime: DEFAULT_TOKEN_LIFETIME,
            identity_fault: None,
            price_fault: None,
            slow: DEFAULT_SLOW,
        }
    }
}

/// A token the identity endpoint handed out.
#[derive(Clone, Debug)]
struct Issued {
    resource: String,
    /// Unix seconds, as the answer's `expires_on` says.
    expires_on: u64,
}

/// What both services share.
struct Shared {
    /// The secret of `X-IDENTITY-HEADER`.
    header: String,
    resource: String,
    /// The managed identity's own id, as App Service's answer names it.
    client_id: String,
    settings: Mutex<Settings>,
    tokens: Mutex<HashMap<String, Issued>>,
    /// Every token handed out, oldest first.
    issued: Mutex<Vec<String>>,
    log: Mutex<log::Log>,
}

impl Shared {
    fn issue(&self, resource: &str, expires_on: u64) -> String {
        let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let issued = Issued { resource: resource.to_owned(), expires_on };
        lock(&self.tokens).insert(token.clone(), issued);
        lock(&self.issued).push(token.clone());
        token
    }
}

/// A lock that outlives a panicking handler.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn unix_now_precise() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

fn random_guid() -> String {
    let hex: String = rand::random::<[u8; 16]>().iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The identity endpoint and the price service, running. Dropping it
/// stops both too.
pub struct ManagedIdentity {
    shared: Arc<Shared>,
    identity_port: u16,
    price_port: u16,
    tasks: Vec<JoinHandle<()>>,
}

impl ManagedIdentity {
    /// Starts both on free ports of 127.0.0.1.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on(0, 0).await
    }

    /// Starts both on these ports of 127.0.0.1 (0: a free one).
    pub async fn start_on(identity_port: u16, price_port: u16) -> anyhow::Result<Self> {
        let bind = |port: u16| async move {
            TcpListener::bind((Ipv4Addr::LOCALHOST, port))
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))
        };
        let identity = bind(identity_port).await?;
        let price = bind(price_port).await?;
        let shared = Arc::new(Shared {
            header: crate::sandbox::random_token(),
            resource: RESOURCE.to_owned(),
            client_id: random_guid(),
            settings: Mutex::default(),
            tokens: Mutex::default(),
            issued: Mutex::default(),
            log: Mutex::default(),
        });
        let identity_app = Router::new()
            .route(identity_endpoint::PATH, get(identity_endpoint::token))
            .with_state(shared.clone());
        let price_app = Router::new()
            .route(price_service::PATH, get(price_service::list))
            .with_state(shared.clone());
        let identity_port = identity.local_addr()?.port();
        let price_port = price.local_addr()?.port();
        let tasks = vec![
            tokio::spawn(serve::serve(identity, identity_app, shared.clone(), Which::Identity)),
            tokio::spawn(serve::serve(price, price_app, shared.clone(), Which::Price)),
        ];
        Ok(Self { shared, identity_port, price_port, tasks })
    }

    /// `IDENTITY_ENDPOINT`: `http://127.0.0.1:P/msi/token`.
    pub fn identity_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.identity_port, identity_endpoint::PATH)
    }

    /// `IDENTITY_HEADER`: the secret made at start, which the identity
    /// endpoint wants back in `X-IDENTITY-HEADER`.
    pub fn identity_header(&self) -> &str {
        &self.shared.header
    }

    /// `PRICE_SERVICE_URL`: `http://127.0.0.1:Q`, without a trailing slash.
    pub fn price_service_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.price_port)
    }

    /// `PRICE_SERVICE_RESOURCE`: [`RESOURCE`].
    pub fn resource(&self) -> &str {
        &self.shared.resource
    }

    /// What the server's environment gets: `IDENTITY_ENDPOINT`,
    /// `IDENTITY_HEADER`, `PRICE_SERVICE_URL`, `PRICE_SERVICE_RESOURCE`.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("IDENTITY_ENDPOINT".into(), self.identity_endpoint()),
            ("IDENTITY_HEADER".into(), self.identity_header().to_owned()),
            ("PRICE_SERVICE_URL".into(), self.price_service_url()),
            ("PRICE_SERVICE_RESOURCE".into(), self.resource().to_owned()),
        ]
    }

    /// Tokens issued from now on expire `lifetime` (in whole seconds) from
    /// their issue; [`DEFAULT_TOKEN_LIFETIME`] until changed.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.settings).lifetime = lifetime;
    }

    /// Makes the identity endpoint misbehave from now on (`None`: honest).
    pub fn set_identity_fault(&self, fault: Option<Fault>) {
        lock(&self.shared.settings).identity_fault = fault;
    }

    /// Makes the price service misbehave from now on (`None`: honest).
    /// [`Fault::WrongResource`] means nothing to it: it answers as without.
    pub fn set_price_fault(&self, fault: Option<Fault>) {
        lock(&self.shared.settings).price_fault = fault;
    }

    /// How long [`Fault::Slow`] holds an answer back.
    pub fn set_slow(&self, delay: Duration) {
        lock(&self.shared.settings).slow = delay;
    }

    /// Every request to the identity endpoint, oldest first.
    pub fn token_requests(&self) -> Vec<TokenRequest> {
        lock(&self.shared.log).tokens()
    }

    /// Every request to the price service, oldest first.
    pub fn price_requests(&self) -> Vec<PriceRequest> {
        lock(&self.shared.log).prices()
    }

    /// Every access token handed out, oldest first (also those of
    /// [`Fault::WrongResource`]).
    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.shared.issued).clone()
    }

    /// Exactly the JSON body the price service answers when authorized.
    pub fn prices(&self) -> serde_json::Value {
        price_service::prices()
    }

    /// Forgets the requests logged so far (not the tokens issued).
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// Faults off, the default token lifetime and slow delay; the log, and
    /// the tokens issued, are kept.
    pub fn reset(&self) {
        *lock(&self.shared.settings) = Settings::default();
    }

    /// Stops both services, cutting off answers under way.
    pub async fn stop(mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for ManagedIdentity {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
