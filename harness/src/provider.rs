//! The OpenID provider of one grading run (step 05 on): the harness's own
//! mock provider, started in-process for the run, with a client registered
//! for the server under grading. The server gets `OIDC_ISSUER`,
//! `OIDC_CLIENT_ID` and `OIDC_CLIENT_SECRET`; the checks get the provider,
//! to decide who signs in, make it misbehave and read what the server sent.

use std::{
    sync::{Mutex, PoisonError},
    time::Duration,
};

use crate::{
    idp::{Client, Config, Idp, Options},
    sandbox::random_token,
    steps::Step,
};

/// The client id the server under grading is registered as.
pub const CLIENT_ID: &str = "authlings-grader";

/// How long the provider holds back a slow token answer: longer than the
/// contract's 10 s, which a server must not wait past.
pub const SLOW_ANSWER: Duration = Duration::from_secs(13);

/// Steps 05 and later sign people in with an OpenID provider.
pub fn needed_by(step: &Step) -> bool {
    step.id >= "05"
}

pub struct Provider {
    pub idp: Idp,
    pub client_id: String,
    client_secret: String,
    /// From the discovery document, as a server reads it.
    pub authorization_endpoint: String,
    /// Every redirect URI registered so far: one for each port a server of
    /// this run listened on (a restart takes a new port).
    redirect_uris: Mutex<Vec<String>>,
}

impl Provider {
    /// Starts the provider with no client yet, and no users: the checks
    /// make up the people who sign in, new ones at every run.
    pub async fn start() -> anyhow::Result<Provider> {
        Provider::start_with(Config::default()).await
    }

    /// Starts the provider with the users (not the clients) of `config`:
    /// someone to pick on its sign-in page, for a person or a real browser.
    pub async fn start_with(config: Config) -> anyhow::Result<Provider> {
        Provider::start_with_options(config, Options::default()).await
    }

    /// Starts the provider for grading an app written elsewhere (`authlings
    /// check --profile`): PKCE optional, as with Google for a confidential
    /// client, since many such apps never send it.
    pub async fn start_for_profiles() -> anyhow::Result<Provider> {
        let options = Options { pkce_optional: true, ..Options::default() };
        Provider::start_with_options(Config::default(), options).await
    }

    async fn start_with_options(config: Config, options: Options) -> anyhow::Result<Provider> {
        let config = Config { users: config.users, clients: Vec::new() };
        let idp = Idp::start(config, Options { slow_answer: SLOW_ANSWER, ..options }).await?;
        let discovery = format!("{}/.well-known/openid-configuration", idp.issuer());
        let document: serde_json::Value = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?
            .get(&discovery)
            .send()
            .await?
            .json()
            .await?;
        let authorization_endpoint = document["authorization_endpoint"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("{discovery} names no authorization_endpoint"))?
            .to_owned();
        Ok(Provider {
            idp,
            client_id: CLIENT_ID.to_owned(),
            // A new secret every run: a server must take it from the
            // environment, never from its source.
            client_secret: format!("grader-{}", random_token()),
            authorization_endpoint,
            redirect_uris: Mutex::default(),
        })
    }

    /// The client's secret, for an app whose settings have other names.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// What the server's environment gets.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("OIDC_ISSUER".into(), self.idp.issuer().to_owned()),
            ("OIDC_CLIENT_ID".into(), self.client_id.clone()),
            ("OIDC_CLIENT_SECRET".into(), self.client_secret.clone()),
        ]
    }

    /// The redirect URI of a server listening on `port` with the harness's
    /// default `PUBLIC_URL` (`http://127.0.0.1:PORT`).
    pub fn redirect_uri(port: u16) -> String {
        format!("http://127.0.0.1:{port}/auth/callback")
    }

    /// Registers the redirect URI of a server about to listen on `port`,
    /// keeping those of earlier ports.
    pub fn allow_port(&self, port: u16) -> anyhow::Result<()> {
        self.allow_redirect_uri(Self::redirect_uri(port))
    }

    /// Registers one more redirect URI, keeping the earlier ones.
    pub fn allow_redirect_uri(&self, uri: String) -> anyhow::Result<()> {
        let mut uris = self.redirect_uris.lock().unwrap_or_else(PoisonError::into_inner);
        if !uris.contains(&uri) {
            uris.push(uri);
        }
        self.idp.register_client(Client::new(&self.client_id, &self.client_secret, uris.clone()))
    }
}
