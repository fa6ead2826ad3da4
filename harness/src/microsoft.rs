//! Microsoft's side of one grading run (step 06 on): the mock
//! OpenID provider in Microsoft's shape, with a client registered for the
//! server under grading, and the managed identity mock with its price
//! service. The server gets `MS_ISSUER`, `MS_CLIENT_ID`,
//! `MS_CLIENT_SECRET`, `MS_TENANT` and the managed identity's four
//! variables; the checks get both mocks.

use std::sync::{Mutex, PoisonError};

use crate::{
    idp::{Client, Config, HOME_TENANT, Idp, OTHER_TENANT, Options, Shape, TestUser},
    managed_identity::ManagedIdentity,
    provider::SLOW_ANSWER,
    sandbox::random_token,
    steps::Step,
};

/// The client id the server under grading is registered as.
pub const CLIENT_ID: &str = "authlings-grader-microsoft";

/// Step 06 and later sign people in with Microsoft too.
pub fn needed_by(step: &Step) -> bool {
    step.id >= "06"
}

pub struct Microsoft {
    /// In Microsoft's shape.
    pub idp: Idp,
    pub client_id: String,
    client_secret: String,
    /// The one tenant the server is told to accept: [`HOME_TENANT`].
    pub tenant: String,
    pub identity: ManagedIdentity,
    /// Every redirect URI registered so far: one for each port a server of
    /// this run listened on.
    redirect_uris: Mutex<Vec<String>>,
}

impl Microsoft {
    /// Starts both mocks with no client yet, and no users: the checks make
    /// up the people who sign in ([`Microsoft::user`], [`Microsoft::guest`]).
    pub async fn start() -> anyhow::Result<Microsoft> {
        let options =
            Options { shape: Shape::Microsoft, slow_answer: SLOW_ANSWER, ..Options::default() };
        let idp = Idp::start(Config::default(), options).await?;
        let identity = ManagedIdentity::start().await?;
        Ok(Microsoft {
            idp,
            client_id: CLIENT_ID.to_owned(),
            // A new secret every run: a server must take it from the
            // environment, never from its source.
            client_secret: format!("grader-ms-{}", random_token()),
            tenant: HOME_TENANT.to_owned(),
            identity,
            redirect_uris: Mutex::default(),
        })
    }

    /// The client's secret.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// What the server's environment gets: the multi-tenant issuer, with
    /// `MS_TENANT` naming the single tenant to accept.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("MS_ISSUER".into(), self.idp.issuer_for("organizations")),
            ("MS_CLIENT_ID".into(), self.client_id.clone()),
            ("MS_CLIENT_SECRET".into(), self.client_secret.clone()),
            ("MS_TENANT".into(), self.tenant.clone()),
        ];
        env.extend(self.identity.env());
        env
    }

    /// The redirect URI of a server listening on `port` with the harness's
    /// default `PUBLIC_URL` (`http://127.0.0.1:PORT`).
    pub fn redirect_uri(port: u16) -> String {
        format!("http://127.0.0.1:{port}/auth/microsoft/callback")
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

    /// Someone of the accepted tenant, made up (the same login, the same
    /// person).
    pub fn user(&self, login: &str) -> TestUser {
        TestUser::made_up_in(login, HOME_TENANT)
    }

    /// Someone of another tenant, whom a single-tenant server must refuse.
    pub fn guest(&self, login: &str) -> TestUser {
        TestUser::made_up_in(login, OTHER_TENANT)
    }
}
