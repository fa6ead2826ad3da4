//! What the grading tests share: running the harness as a library, and the
//! mutant server built once.

#![allow(dead_code)]

use std::{path::PathBuf, time::Duration};

use harness::{
    compile,
    kit_root::kit_root,
    report::{Report, Status},
    runner::{self, Options},
    steps,
    target::Target,
};
use tokio::sync::OnceCell;

pub fn quiet() -> Options {
    Options {
        echo_build: false,
        ready_within: Duration::from_secs(10),
        check_within: Duration::from_secs(60),
        database_url: None,
        only: None,
    }
}

/// The PostgreSQL server the tests grade on: `AUTHLINGS_POSTGRES_URL`, or
/// a local one with trust authentication.
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// That server's URL and a connection to it, or `None` (said on stderr,
/// naming `test`) when there is none: those tests then pass without it.
pub async fn postgres(test: &str) -> Option<(String, sqlx::PgConnection)> {
    use sqlx::Connection;
    let url = std::env::var("AUTHLINGS_POSTGRES_URL").unwrap_or_else(|_| POSTGRES.to_owned());
    match sqlx::PgConnection::connect(&url).await {
        Ok(connection) => Some((url, connection)),
        Err(error) => {
            eprintln!(
                "SKIPPED {test}: cannot connect to PostgreSQL at {} ({error}). Start it there, \
                 or set AUTHLINGS_POSTGRES_URL to a server whose user may CREATE DATABASE.",
                harness::database::scratch::redacted(&url)
            );
            None
        }
    }
}

/// Whether the PostgreSQL server behind `admin` has a database `name`.
pub async fn database_exists(admin: &mut sqlx::PgConnection, name: &str) -> bool {
    let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(admin)
        .await
        .expect("pg_database is readable");
    found > 0
}

pub async fn grade(step: &str, target: Target, options: &Options) -> Report {
    let step = steps::find(step).expect("a known step");
    runner::grade(step, &target, options).await
}

static MUTANT: OnceCell<PathBuf> = OnceCell::const_new();

/// The deliberately broken server, built once per test binary.
pub async fn mutant() -> &'static PathBuf {
    MUTANT
        .get_or_init(|| async {
            let manifest = kit_root().join("harness/mutants/Cargo.toml");
            compile::build(&manifest, false)
                .await
                .unwrap_or_else(|failure| panic!("{}\n{}", failure.summary, failure.diagnostics))
        })
        .await
}

pub async fn mutant_cmd(step: &str, flaw: &str) -> Target {
    Target::Cmd(format!("'{}' {step} --flaw {flaw}", mutant().await.display()))
}

/// `id: status` a line, for asserting and snapshotting.
pub fn statuses(report: &Report) -> Vec<(String, Status)> {
    report.results.iter().map(|r| (r.id.to_owned(), r.status)).collect()
}

/// Every check with its message, for an assertion's panic text.
pub fn explain(report: &Report) -> String {
    let style = harness::report::human::Style { colour: false };
    harness::report::human::render(report, &style)
}
