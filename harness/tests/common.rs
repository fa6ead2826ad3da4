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
    }
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
