//! A step server (and, from step 05, the mock provider) started for a real
//! browser, as a person runs it: the kit's own static files, a fresh data
//! folder, and the provider's test users to pick from.

use crate::{
    fixtures,
    idp::Config,
    kit_root::kit_root,
    microsoft::{self, Microsoft},
    provider::{self, Provider},
    sandbox::{self, Sandbox},
    server::{self, Launch, Program, Server},
    steps::Step,
};

pub struct Site {
    /// `http://localhost:PORT`: the browser's address for the server.
    pub base_url: String,
    pub server: Server,
    /// Steps 05 on. It listens on 127.0.0.1, another site than `localhost`
    /// for the browser's cookies, as Google is another site than yours.
    pub provider: Option<Provider>,
    /// Step 06 on: the Microsoft-shaped provider and the
    /// managed identity, which such a server needs to start.
    pub microsoft: Option<Microsoft>,
    /// Who signs in on step 01, whose users are compiled in.
    pub users: Vec<fixtures::User>,
    /// Keeps the data folder until the server is gone.
    _sandbox: Sandbox,
}

impl Site {
    /// Starts the server on a free port.
    pub async fn start(step: &Step, program: Program) -> anyhow::Result<Site> {
        Site::start_on(step, program, server::free_port()).await
    }

    /// Starts the server on `port`, which must be free.
    pub async fn start_on(step: &Step, program: Program, port: u16) -> anyhow::Result<Site> {
        let root = kit_root();
        let users = if step.has_accounts { Vec::new() } else { fixtures::users(&root)? };
        let mut sandbox = Sandbox::new()?;
        let data_dir = sandbox.fresh_data_dir()?;
        let base_url = format!("http://localhost:{port}");
        let mut env = vec![
            ("HOST".to_owned(), "127.0.0.1".to_owned()),
            ("PUBLIC_URL".to_owned(), base_url.clone()),
            ("DATA_DIR".to_owned(), data_dir.display().to_string()),
            ("STATIC_DIR".to_owned(), root.join("fixtures/static").display().to_string()),
            (
                "SESSION_SECRET".to_owned(),
                format!("{}{}", sandbox::random_token(), sandbox::random_token()),
            ),
        ];
        let provider = if provider::needed_by(step) {
            let provider = Provider::start_with(Config::fixtures()?).await?;
            provider.allow_redirect_uri(format!("{base_url}/auth/callback"))?;
            env.extend(provider.env());
            Some(provider)
        } else {
            None
        };
        let microsoft = if microsoft::needed_by(step) {
            let microsoft = Microsoft::start().await?;
            microsoft.allow_redirect_uri(format!("{base_url}/auth/microsoft/callback"))?;
            env.extend(microsoft.env());
            Some(microsoft)
        } else {
            None
        };
        let launch =
            Launch { program, cwd: root, env, ready_within: std::time::Duration::from_secs(30) };
        let server = Server::start(&launch, port).await.map_err(|failure| {
            anyhow::anyhow!("the server did not start: {}\n{}", failure.reason, failure.log)
        })?;
        Ok(Site { base_url, server, provider, microsoft, users, _sandbox: sandbox })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn stop(mut self) {
        self.server.stop().await;
        if let Some(provider) = self.provider.take() {
            provider.idp.stop().await;
        }
        if let Some(microsoft) = self.microsoft.take() {
            microsoft.idp.stop().await;
            microsoft.identity.stop().await;
        }
    }
}
