//! What a check is, what it gets to work with, and how it fails.

use std::{future::Future, pin::Pin};

use crate::{
    database::{Db, Location},
    fixtures,
    http::Http,
    sandbox::Sandbox,
    server::{Launch, Server},
};

/// Why a check did not pass, in the shape every message has: what the
/// harness sent, what it expected, what it got.
#[derive(Debug, Clone)]
pub struct Failure {
    pub expected: String,
    pub sent: Option<String>,
    pub got: Option<String>,
    /// The server did not answer at all (timeout, refused connection).
    pub no_answer: bool,
}

impl Failure {
    pub fn new(expected: impl Into<String>) -> Self {
        Self { expected: expected.into(), sent: None, got: None, no_answer: false }
    }

    pub fn no_answer(sent: String, got: String) -> Self {
        Self { expected: "an answer".into(), sent: Some(sent), got: Some(got), no_answer: true }
    }

    pub fn sent(mut self, sent: impl Into<String>) -> Self {
        self.sent = Some(sent.into());
        self
    }

    pub fn got(mut self, got: impl Into<String>) -> Self {
        self.got = Some(got.into());
        self
    }
}

pub type Outcome = Result<(), Failure>;
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + 'a>>;
pub type CheckFn = for<'a> fn(&'a mut Ctx) -> CheckFuture<'a>;

/// One graded behaviour of a step.
pub struct Check {
    /// Stable forever: `s01.login-success` never changes meaning.
    pub id: &'static str,
    pub title: &'static str,
    pub points: u32,
    /// A check that must pass first; when it did not, this one is skipped.
    pub requires: Option<&'static str>,
    /// What to look at when this check fails.
    pub hint: &'static str,
    /// The book section that explains it: `01-hardcoded.md#guarding-a-page`.
    pub book: &'static str,
    /// The OWASP ASVS 4.0.3 requirements it checks (`"V3.4.2"`), for the
    /// book's security checklist (`book/src/asvs.md`); empty for a check
    /// of plain behaviour. Each needs its words in `book::ASVS`.
    pub asvs: &'static [&'static str],
    pub run: CheckFn,
}

/// Turns `async fn name(cx: &mut Ctx) -> Outcome` into a [`CheckFn`].
#[macro_export]
macro_rules! check_fn {
    ($function:path) => {{
        fn run(cx: &mut $crate::check::Ctx) -> $crate::check::CheckFuture<'_> {
            Box::pin($function(cx))
        }
        run as $crate::check::CheckFn
    }};
}

/// A second server a check started, with its own data folder.
pub struct Other {
    pub server: Server,
    pub http: Http,
    pub data_dir: std::path::PathBuf,
}

/// What a running check works with.
pub struct Ctx {
    pub http: Http,
    pub server: Server,
    pub sandbox: Sandbox,
    pub launch: Launch,
    /// The users checks sign in as: compiled in (step 01) or registered by
    /// the step's registration check.
    pub users: Vec<fixtures::User>,
    /// Users register themselves (step 02 on).
    pub has_accounts: bool,
    /// Where every server of the run keeps users and sessions (step 04 on).
    pub database: Option<Location>,
    /// The run's OpenID provider (step 05 on), which every server of the
    /// run is registered with.
    pub provider: Option<crate::provider::Provider>,
    /// The run's Microsoft side (step 06 on): the provider in
    /// Microsoft's shape and the managed identity mock.
    pub microsoft: Option<crate::microsoft::Microsoft>,
}

impl Ctx {
    /// Starts a second server from the same program, with a fresh data
    /// folder and `env` on top of the usual environment (`{port}` in a value
    /// is replaced by its port). The caller stops it.
    pub async fn start_another(&mut self, env: &[(&str, &str)]) -> Result<Other, Failure> {
        let port = self.free_port()?;
        let data_dir = self
            .sandbox
            .fresh_data_dir()
            .map_err(|e| Failure::new("a fresh data folder").got(e.to_string()))?;
        let mut launch = self.launch.clone();
        // One database for all servers of a run (unless `env` names
        // another): in SQLite's case, the file in the main server's DATA_DIR.
        if let Some(url) = self.database_url() {
            launch.env.retain(|(k, _)| k != "DATABASE_URL");
            launch.env.push(("DATABASE_URL".into(), url));
        }
        launch.env.retain(|(k, _)| k != "DATA_DIR" && !env.iter().any(|(name, _)| k == name));
        launch.env.push(("DATA_DIR".into(), data_dir.display().to_string()));
        for (name, value) in env {
            launch.env.push(((*name).into(), value.replace("{port}", &port.to_string())));
        }
        let described: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        match Server::start(&launch, port).await {
            Ok(server) => Ok(Other { http: Http::new(&server.base_url), server, data_dir }),
            Err(failure) => Err(Failure::new("the server to start again")
                .sent(format!("a second server with {}", described.join(" ")))
                .got(format!("{}\n{}", failure.reason, failure.log))),
        }
    }

    /// The value of `name` in the main server's environment.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.launch.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A number of seconds the main server was given in `name`, or the
    /// contract's default for it.
    pub fn seconds(&self, name: &str, default: i64) -> i64 {
        self.env(name).and_then(|value| value.parse().ok()).unwrap_or(default)
    }

    /// Restarts the main server with `env` changed (for good: change it back
    /// with another call), on the same data folder.
    pub async fn restart_with(&mut self, env: &[(&str, &str)]) -> Result<(), Failure> {
        self.launch.env.retain(|(k, _)| !env.iter().any(|(name, _)| k == name));
        self.launch.env.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self.restart(false).await
    }

    /// The main server's `DATA_DIR`, to read the files it keeps.
    pub fn data_dir(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(self.env("DATA_DIR").unwrap_or("."))
    }

    /// The `DATABASE_URL` every server of the run shares (step 04 on).
    pub fn database_url(&self) -> Option<String> {
        Some(self.database.as_ref()?.url(&self.data_dir()))
    }

    /// A read-only connection to that database, opened now (so that it
    /// sees a file the server made or replaced since the last one).
    pub async fn db(&self) -> Result<Db, Failure> {
        let location =
            self.database.as_ref().ok_or_else(|| Failure::new("a step with a database"))?;
        Db::open(location, &self.data_dir()).await.map_err(|error| {
            let at = match location {
                Location::DataDirSqlite => format!(
                    "the SQLite database {} (DATABASE_URL's default, $DATA_DIR/app.db)",
                    crate::database::sqlite_path(&self.data_dir()).display()
                ),
                Location::Postgres(url) => {
                    format!("the PostgreSQL database {}", crate::database::scratch::redacted(url))
                }
            };
            Failure::new(format!("{at} to open")).got(error.to_string())
        })
    }

    /// A user to sign in as, by position (the last one when there are fewer).
    pub fn user(&self, index: usize) -> &fixtures::User {
        &self.users[index.min(self.users.len() - 1)]
    }

    /// Makes sure `user` exists on the server behind `http`: registers it
    /// where users register themselves (a fresh server knows no one).
    pub async fn ensure_account(&self, http: &Http, user: &fixtures::User) -> Result<(), Failure> {
        if !self.has_accounts {
            return Ok(());
        }
        let fields = [("username", user.username.as_str()), ("password", user.password.as_str())];
        let reply = http.post_form("/register", &fields).send().await?;
        match reply.status {
            303 | 409 => Ok(()),
            _ => Err(reply.fail("303 See Other (registered) or 409 Conflict (already there)")),
        }
    }

    /// Stops the server (SIGTERM, or `kill` for SIGKILL at once) and starts
    /// it again on the same data folder, as after a crash or a deploy.
    pub async fn restart(&mut self, kill: bool) -> Result<(), Failure> {
        if kill {
            self.server.kill().await;
        } else {
            self.server.stop().await;
        }
        let server = Server::start(&self.launch, self.free_port()?).await.map_err(|failure| {
            Failure::new("the server to start again on the same DATA_DIR")
                .got(format!("{}\n{}", failure.reason, failure.log))
        })?;
        self.http = Http::new(&server.base_url);
        self.server = server;
        Ok(())
    }

    /// A port for a server of this run to listen on, whose redirect URIs
    /// the run's OpenID providers (if any) accept from now on.
    fn free_port(&self) -> Result<u16, Failure> {
        let port = crate::server::free_port();
        if let Some(provider) = &self.provider {
            provider.allow_port(port).map_err(|error| {
                Failure::new("the mock OpenID provider to accept the new redirect URI")
                    .got(error.to_string())
            })?;
        }
        if let Some(microsoft) = &self.microsoft {
            microsoft.allow_port(port).map_err(|error| {
                Failure::new("the Microsoft-shaped mock provider to accept the new redirect URI")
                    .got(error.to_string())
            })?;
        }
        Ok(port)
    }
}
