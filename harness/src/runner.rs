//! One grading run: build, start, walk the checks in order, stop.

use std::{collections::HashMap, time::Duration};

use crate::{
    check::{Check, Ctx, Failure},
    database::{Location, scratch::Scratch},
    fixtures,
    http::Http,
    kit_root::kit_root,
    microsoft::{self, Microsoft},
    provider::{self, Provider},
    report::{CheckResult, Report, Status},
    sandbox::{self, Sandbox},
    server::{self, Launch, Server},
    steps::Step,
    target::Target,
};

pub struct Options {
    /// Show cargo's progress and diagnostics on stderr while building.
    pub echo_build: bool,
    /// How long the server may take to answer its first `GET /`.
    pub ready_within: Duration,
    /// How long one check may take, all its requests together.
    pub check_within: Duration,
    /// A PostgreSQL server (`postgres://...`) to grade steps with a
    /// database on, in a database made for the run; `None`: SQLite, the
    /// contract's default.
    pub database_url: Option<String>,
    /// Run only this check (a full id, `s01.login-success`) and the checks
    /// it needs first; `None`: every check of the step.
    pub only: Option<&'static str>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            echo_build: true,
            ready_within: Duration::from_secs(30),
            check_within: Duration::from_secs(60),
            database_url: None,
            only: None,
        }
    }
}

/// How many times a server that died during a check is started again
/// before the remaining checks give up.
const RESTARTS: u32 = 2;

/// The remember-me lifetime servers get from step 04 on: not the default,
/// so that a server that ignores REMEMBER_TTL_SECS shows.
pub const REMEMBER_TTL_SECS: &str = "777600";

pub async fn grade(step: &Step, target: &Target, options: &Options) -> Report {
    // Outside the run, so that its database is dropped whatever the run
    // did; if this future is dropped or unwinds first, `Scratch` drops it.
    let mut scratch = None;
    let mut report = grade_on(step, target, options, &mut scratch).await;
    if let Some(scratch) = scratch {
        let name = scratch.name().to_owned();
        match scratch.remove().await {
            Ok(()) => report.notes.push(format!(
                "graded on PostgreSQL, in a database made for this run ({name}) and dropped afterwards"
            )),
            Err(error) => report.notes.push(error),
        }
    }
    report
}

/// What every step's server is started with: its address, a fresh data
/// folder in `sandbox`, the static files and a new session secret. The
/// database, the remember-me lifetime and the provider come on top.
pub fn server_env(sandbox: &mut Sandbox) -> std::io::Result<Vec<(String, String)>> {
    let data_dir = sandbox.fresh_data_dir()?;
    Ok(vec![
        ("HOST".into(), "127.0.0.1".into()),
        ("DATA_DIR".into(), data_dir.display().to_string()),
        ("STATIC_DIR".into(), sandbox.static_dir.display().to_string()),
        (
            "SESSION_SECRET".into(),
            format!("{}{}", sandbox::random_token(), sandbox::random_token()),
        ),
    ])
}

/// The checks `only` needs: itself and, in order, every check it requires
/// on the way down; all of them when `only` is `None`.
fn chosen(checks: Vec<Check>, only: Option<&str>) -> Vec<Check> {
    let Some(only) = only else { return checks };
    let mut wanted = vec![only];
    while let Some(needed) =
        checks.iter().find(|c| c.id == *wanted.last().unwrap()).and_then(|c| c.requires)
    {
        wanted.push(needed);
    }
    checks.into_iter().filter(|c| wanted.contains(&c.id)).collect()
}

async fn grade_on(
    step: &Step,
    target: &Target,
    options: &Options,
    scratch: &mut Option<Scratch>,
) -> Report {
    let checks = chosen((step.checks)(), options.only);
    let mut report = Report::new(step, target);
    let root = kit_root();
    let prepared = async {
        let users = if step.has_accounts {
            fixtures::fresh_accounts()
        } else {
            fixtures::users(&root)
                .map_err(|e| Failure::new("the kit's fixtures").got(e.to_string()))?
        };
        let mut sandbox = Sandbox::new()
            .map_err(|e| Failure::new("a temporary folder to grade in").got(e.to_string()))?;
        let program = target.program(step, &root, options.echo_build).await.map_err(|build| {
            let got = if build.diagnostics.is_empty() {
                build.summary.clone()
            } else {
                format!("{}:\n{}", build.summary, build.diagnostics.trim_end())
            };
            Failure::new("the server to compile").sent("cargo build").got(got)
        })?;
        let mut env = server_env(&mut sandbox)
            .map_err(|e| Failure::new("a data folder").got(e.to_string()))?;
        let database = match (step.has_database, &options.database_url) {
            (false, _) => None,
            // SQLite: the main server is told nothing, so the contract's
            // default (app.db in DATA_DIR) is what is graded.
            (true, None) => Some(Location::DataDirSqlite),
            (true, Some(server)) => {
                let made = Scratch::create(server).await.map_err(|error| {
                    Failure::new("a PostgreSQL database for this run (CREATE DATABASE)").got(error)
                })?;
                env.push(("DATABASE_URL".into(), made.url().to_owned()));
                let location = Location::Postgres(made.url().to_owned());
                *scratch = Some(made);
                Some(location)
            }
        };
        if step.has_database {
            env.push(("REMEMBER_TTL_SECS".into(), REMEMBER_TTL_SECS.into()));
        }
        let provider = if provider::needed_by(step) {
            Some(Provider::start().await.map_err(|error| {
                Failure::new("the grader's mock OpenID provider to start").got(error.to_string())
            })?)
        } else {
            None
        };
        let microsoft = if microsoft::needed_by(step) {
            Some(Microsoft::start().await.map_err(|error| {
                Failure::new("the grader's Microsoft-shaped mocks to start").got(error.to_string())
            })?)
        } else {
            None
        };
        let port = server::free_port();
        if let Some(provider) = &provider {
            env.extend(provider.env());
            provider.allow_port(port).map_err(|error| {
                Failure::new("the mock OpenID provider to register the server")
                    .got(error.to_string())
            })?;
        }
        if let Some(microsoft) = &microsoft {
            env.extend(microsoft.env());
            microsoft.allow_port(port).map_err(|error| {
                Failure::new("the Microsoft-shaped mock provider to register the server")
                    .got(error.to_string())
            })?;
        }
        let launch = Launch { program, cwd: root.clone(), env, ready_within: options.ready_within };
        let server = Server::start(&launch, port).await.map_err(|failure| {
            report.log = failure.log.clone();
            Failure::new("the server to start and answer GET /").got(failure.reason)
        })?;
        Ok::<_, Failure>(Ctx {
            http: Http::new(&server.base_url),
            server,
            sandbox,
            launch,
            users,
            has_accounts: step.has_accounts,
            database,
            provider,
            microsoft,
        })
    }
    .await;
    let mut cx = match prepared {
        Ok(cx) => cx,
        Err(failure) => {
            for check in &checks {
                let result = match check.requires {
                    None => CheckResult::new(check, Status::Fail).failed(failure.clone()),
                    Some(_) => {
                        CheckResult::new(check, Status::Skip).because("the server did not start")
                    }
                };
                report.results.push(result);
            }
            return report;
        }
    };

    let mut statuses: HashMap<&str, Status> = HashMap::new();
    let mut given_up: Option<String> = None;
    let mut restarts = 0;
    let mut silent_in_a_row = 0;
    for check in &checks {
        let result = if let Some(needed) =
            check.requires.filter(|id| statuses.get(id) != Some(&Status::Pass))
        {
            CheckResult::new(check, Status::Skip)
                .because(format!("needs {needed}, which did not pass"))
        } else if let Some(reason) = &given_up {
            CheckResult::new(check, Status::Error).because(reason.clone())
        } else {
            let result = run_one(check, &mut cx, options).await;
            silent_in_a_row = if result.no_answer { silent_in_a_row + 1 } else { 0 };
            if result.no_answer {
                settle(&mut cx.server).await;
            }
            if let Some(status) = cx.server.exited() {
                let words = server::exit_words(status);
                if restarts < RESTARTS {
                    restarts += 1;
                    match cx.restart(false).await {
                        Ok(()) => report.notes.push(format!(
                            "the server exited ({words}) during {}; it was started again",
                            check.id
                        )),
                        Err(failure) => {
                            given_up = Some(format!(
                                "the server exited ({words}) and did not start again: {}",
                                failure.got.unwrap_or_default()
                            ))
                        }
                    }
                } else {
                    given_up = Some(format!("the server exited ({words}) {} times", RESTARTS + 1));
                }
            } else if silent_in_a_row >= 2 {
                given_up =
                    Some("the server stopped answering (two checks in a row got no answer)".into());
            }
            result
        };
        statuses.insert(check.id, result.status);
        report.results.push(result);
    }
    cx.server.stop().await;
    report.log = cx.server.log();
    report
}

async fn run_one(check: &Check, cx: &mut Ctx, options: &Options) -> CheckResult {
    match tokio::time::timeout(options.check_within, (check.run)(cx)).await {
        Ok(Ok(())) => CheckResult::new(check, Status::Pass),
        Ok(Err(failure)) => CheckResult::new(check, Status::Fail).failed(failure),
        Err(_) => CheckResult::new(check, Status::Error).because(format!(
            "the check did not finish within {} s",
            options.check_within.as_secs()
        )),
    }
}

/// A dying process closes its sockets a moment before it can be reaped:
/// after a request got no answer, give it that moment to show it exited.
async fn settle(server: &mut Server) {
    for _ in 0..10 {
        if server.exited().is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::chosen;

    fn ids(checks: &[crate::check::Check]) -> Vec<&'static str> {
        checks.iter().map(|c| c.id).collect()
    }

    #[test]
    fn one_check_runs_with_the_checks_it_needs_in_order() {
        let step = crate::steps::find("01").unwrap();
        let only = chosen((step.checks)(), Some("s01.cabinet-signed-in"));
        assert_eq!(ids(&only), ["s01.starts", "s01.login-success", "s01.cabinet-signed-in"]);
        assert_eq!(chosen((step.checks)(), None).len(), (step.checks)().len());
    }
}
