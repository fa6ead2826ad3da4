//! A mock OpenID provider: real OpenID Connect on loopback, so that step 05
//! (and step 06, with Microsoft) can be graded, and tried in a browser, with no
//! Google account and no network.
//!
//! It is as strict as a careful provider: registered clients only, redirect
//! URIs compared exactly, client authentication, PKCE with S256 required,
//! codes that work once, for one client, within a minute. A test can make it
//! misbehave on purpose for one flow ([`Fault`]) and read what the client
//! sent ([`LoggedRequest`]).
//!
//! One file per endpoint (`discovery`, `keys` for the JWKS, `authorize`,
//! `token`, `userinfo`, `end_session`); what they share is here and in
//! `config`, `grants`, `claims` and `params`. In Microsoft's [`Shape`] the
//! same endpoints live under `/{tenant}/v2.0` (`shape`), and tokens carry
//! Entra ID's claims (`entra`).

mod authorize;
mod claims;
mod cli;
mod config;
mod discovery;
mod end_session;
mod entra;
mod faults;
mod grants;
mod jwt;
mod keys;
mod log;
mod page;
mod params;
mod picture;
mod shape;
#[cfg(test)]
mod tests;
mod token;
mod userinfo;

use std::{
    net::Ipv4Addr,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use axum::{
    Router,
    routing::{get, post},
};
use tokio::{sync::oneshot, task::JoinHandle};

use authorize::{Approval, Approvals};
pub use cli::{DEFAULT_PORT, serve_for_browser};
pub use config::{Client, Config, TestUser};
pub use faults::Fault;
pub use keys::SigningKey;
pub use log::{Authorization, ClientAuth, ClientAuthMethod, Endpoint, LoggedRequest};
pub use shape::{HOME_TENANT, OTHER_TENANT, Shape};

/// How a provider is started. The defaults are Google's, except the port.
#[derive(Clone, Debug)]
pub struct Options {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How long an authorization code can be redeemed.
    pub code_lifetime: Duration,
    /// How long ID tokens and access tokens are valid.
    pub token_lifetime: Duration,
    /// How long [`Fault::TokenSlow`] holds the token answer back.
    pub slow_answer: Duration,
    /// The signing key; `None` makes a fresh one. Tests share one key, since
    /// making a key is the slowest part of a start.
    pub key: Option<SigningKey>,
    /// Approve every sign-in at once as this user (until changed with
    /// [`Idp::auto_approve_as`]); `None` shows the sign-in page.
    pub auto_approve: Option<TestUser>,
    /// Print a line to standard error for every request.
    pub echo: bool,
    /// Accept an authorization request without PKCE (and then a token
    /// request without `code_verifier`), as Google does for a confidential
    /// client: for grading apps written elsewhere (`authlings check
    /// --profile`), many of which never send it. A challenge that is sent
    /// is checked as ever.
    pub pkce_optional: bool,
    /// Google's endpoints and claims, or Microsoft Entra ID's (endpoints
    /// under `/{tenant}/v2.0`, an issuer for every tenant).
    pub shape: Shape,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            port: 0,
            code_lifetime: Duration::from_secs(60),
            token_lifetime: Duration::from_secs(3600),
            slow_answer: Duration::from_secs(15),
            key: None,
            auto_approve: None,
            echo: false,
            pkce_optional: false,
            shape: Shape::Google,
        }
    }
}

/// What every endpoint shares.
struct Provider {
    /// `http://127.0.0.1:PORT`, which is also the issuer in Google's shape.
    base: String,
    shape: Shape,
    code_lifetime: Duration,
    token_lifetime: Duration,
    slow_answer: Duration,
    echo: bool,
    pkce_optional: bool,
    config: Mutex<Config>,
    keys: Mutex<keys::Keyring>,
    grants: Mutex<grants::Grants>,
    approvals: Mutex<Approvals>,
    faults: Mutex<faults::Armed>,
    log: Mutex<log::Log>,
}

/// A lock that outlives a panicking handler: the provider must keep
/// answering for the rest of a grading run, whatever one request did.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn router(provider: Arc<Provider>) -> Router {
    let at = |path| shape::route(provider.shape, path);
    let mut router = Router::new()
        .route(&at(discovery::PATH), get(discovery::document))
        .route(&at(keys::PATH), get(keys::jwks))
        .route(&at(authorize::PATH), get(authorize::ask).post(authorize::decide))
        .route(&at(token::PATH), post(token::exchange))
        .route(&at(userinfo::PATH), get(userinfo::claims).post(userinfo::claims))
        .route(&at(end_session::PATH), get(end_session::sign_out))
        .route(&at(picture::PATH), get(picture::svg));
    if provider.shape == Shape::Microsoft {
        router = router.route_layer(axum::middleware::from_fn_with_state(
            provider.clone(),
            shape::known_tenant,
        ));
    }
    router
        .layer(axum::middleware::from_fn_with_state(provider.clone(), log::record))
        .with_state(provider)
}

/// A running provider. Dropping it stops it too; [`Idp::stop`] also waits.
pub struct Idp {
    provider: Arc<Provider>,
    /// What [`Idp::issuer`] answers.
    issuer: String,
    port: u16,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// How long [`Idp::stop`] waits for answers under way (a slow fault's).
const STOP_WITHIN: Duration = Duration::from_secs(2);

impl Idp {
    /// Starts a provider on loopback with these users and clients.
    pub async fn start(config: Config, options: Options) -> anyhow::Result<Idp> {
        config.validate()?;
        let key = match options.key.clone() {
            Some(key) => key,
            None => tokio::task::spawn_blocking(SigningKey::generate).await??,
        };
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
        let port = listener.local_addr()?.port();
        let base = format!("http://127.0.0.1:{port}");
        let issuer = match options.shape {
            Shape::Google => base.clone(),
            Shape::Microsoft => shape::tenant_url(&base, "organizations"),
        };
        let provider = Arc::new(Provider {
            base,
            shape: options.shape,
            code_lifetime: options.code_lifetime,
            token_lifetime: options.token_lifetime,
            slow_answer: options.slow_answer,
            echo: options.echo,
            pkce_optional: options.pkce_optional,
            config: Mutex::new(config),
            keys: Mutex::new(keys::Keyring::new(key)),
            grants: Mutex::default(),
            approvals: Mutex::new(Approvals::always(options.auto_approve)),
            faults: Mutex::default(),
            log: Mutex::default(),
        });
        let app = router(provider.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Idp { provider, issuer, port, shutdown: Some(shutdown), task: Some(task) })
    }

    /// The issuer a step is given: in Google's shape `http://127.0.0.1:PORT`
    /// (`OIDC_ISSUER`); in Microsoft's, the multi-tenant
    /// `http://127.0.0.1:PORT/organizations/v2.0` (`MS_ISSUER`), whose
    /// discovery document names the issuer `.../{tenantid}/v2.0`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `http://127.0.0.1:PORT`, whatever the shape.
    pub fn base_url(&self) -> &str {
        &self.provider.base
    }

    /// In Microsoft's shape `{base}/{tenant}/v2.0`: the issuer of a tenant's
    /// tokens (for a GUID), and where its endpoints are. In Google's, the
    /// base URL, whatever `tenant` says.
    pub fn issuer_for(&self, tenant: &str) -> String {
        match self.provider.shape {
            Shape::Google => self.provider.base.clone(),
            Shape::Microsoft => shape::tenant_url(&self.provider.base, tenant),
        }
    }

    pub fn shape(&self) -> Shape {
        self.provider.shape
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A configured user, by username or email.
    pub fn user(&self, login: &str) -> Option<TestUser> {
        lock(&self.provider.config).user(login).cloned()
    }

    /// Registers a client, or replaces the one with the same id: a check
    /// registers the redirect URI of the port its step server got.
    pub fn register_client(&self, client: Client) -> anyhow::Result<()> {
        Config { users: Vec::new(), clients: vec![client.clone()] }.validate()?;
        let mut config = lock(&self.provider.config);
        config.clients.retain(|c| c.client_id != client.client_id);
        config.clients.push(client);
        Ok(())
    }

    /// The next valid authorization request is approved at once as `user`
    /// (who need not be in the configuration: see [`TestUser::made_up`]).
    /// Calls queue up, one approval a request.
    pub fn approve_next_as(&self, user: &TestUser) {
        lock(&self.provider.approvals).push(Approval::As(Box::new(user.clone())));
    }

    /// The next valid authorization request is refused as a person
    /// pressing Deny would: `error=access_denied`.
    pub fn deny_next(&self) {
        lock(&self.provider.approvals).push(Approval::Deny);
    }

    /// Approves every authorization request at once as `user` (when no
    /// queued approval comes first); `None` shows the sign-in page again.
    pub fn auto_approve_as(&self, user: Option<&TestUser>) {
        lock(&self.provider.approvals).always = user.cloned();
    }

    /// Arms `fault` for the next answer it applies to; see [`Fault`].
    pub fn inject(&self, fault: Fault) {
        lock(&self.provider.faults).arm(fault);
    }

    /// The faults armed and not yet used.
    pub fn armed_faults(&self) -> Vec<Fault> {
        lock(&self.provider.faults).list()
    }

    /// Forgets queued approvals and armed faults (not the log, the keys,
    /// or auto-approval), so the next check starts from an honest provider.
    pub fn reset(&self) {
        lock(&self.provider.approvals).clear_queue();
        *lock(&self.provider.faults) = faults::Armed::default();
    }

    /// Makes a new signing key, as providers do now and then: new tokens
    /// are signed with it, and the JWKS keeps the old keys beside it until
    /// [`Idp::retire_old_keys`]. Returns the new key's id.
    pub async fn rotate_keys(&self) -> anyhow::Result<String> {
        let key = tokio::task::spawn_blocking(SigningKey::generate).await??;
        let kid = key.kid().to_owned();
        lock(&self.provider.keys).rotate(key);
        Ok(kid)
    }

    /// Drops every key but the current one from the JWKS.
    pub fn retire_old_keys(&self) {
        lock(&self.provider.keys).retire_old();
    }

    /// The key that signs ID tokens now.
    pub fn signing_key(&self) -> SigningKey {
        lock(&self.provider.keys).current().clone()
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.provider.log).entries()
    }

    /// The requests to one endpoint, oldest first.
    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<LoggedRequest> {
        let mut requests = self.requests();
        requests.retain(|r| r.endpoint == endpoint);
        requests
    }

    pub fn clear_log(&self) {
        lock(&self.provider.log).clear();
    }

    /// Stops listening, lets answers under way finish for a moment, and
    /// cuts off what is left.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(STOP_WITHIN, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
