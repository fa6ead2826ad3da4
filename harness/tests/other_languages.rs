//! The contract does not depend on Rust: a server written to it in another
//! language gets full marks, graded through `--cmd` like any other.

mod common;

use std::process::{Command, Stdio};

use harness::{kit_root::kit_root, target::Target};

/// Why the Python server cannot run here, if it cannot: no `python3` on
/// PATH, or one older than 3.11 (the server needs `tomllib`).
fn python_missing() -> Option<&'static str> {
    let status = Command::new("python3")
        .args(["-c", "import sys; sys.exit(sys.version_info < (3, 11))"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Err(_) => Some("python3 is not on PATH"),
        Ok(status) if !status.success() => Some("python3 is older than 3.11 (no tomllib)"),
        Ok(_) => None,
    }
}

#[tokio::test]
async fn a_step_01_server_in_python_gets_full_marks() {
    if let Some(why) = python_missing() {
        println!("SKIPPED a_step_01_server_in_python_gets_full_marks: {why}");
        return;
    }
    let path = kit_root().join("harness/tests/python/step01_server.py");
    assert!(path.is_file(), "{} is missing", path.display());
    let target = Target::Cmd(format!("python3 '{}'", path.display()));
    let report = common::grade("01", target, &common::quiet()).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
    assert_eq!(report.score(), report.max_score());
}

/// Why stock Flask cannot run here, if it cannot.
fn flask_missing() -> Option<&'static str> {
    if let Some(why) = python_missing() {
        return Some(why);
    }
    let status = Command::new("python3")
        .args(["-c", "import flask"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => None,
        _ => Some("python3 has no flask"),
    }
}

/// Why the Flask step servers cannot run here: no Flask, or no argon2-cffi.
fn flask_and_argon2_missing() -> Option<&'static str> {
    if let Some(why) = flask_missing() {
        return Some(why);
    }
    let status = Command::new("python3")
        .args(["-c", "import argon2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => None,
        _ => Some("python3 has no argon2 (pip install argon2-cffi)"),
    }
}

/// Grades a Flask server under `harness/tests/python/` at `step`, and
/// expects every check to pass with full points, naming the ones that did not.
async fn flask_server_gets_full_marks(test: &str, step: &str, server: &str) {
    if let Some(why) = flask_and_argon2_missing() {
        println!("SKIPPED {test}: {why}");
        return;
    }
    let path = kit_root().join("harness/tests/python").join(server);
    assert!(path.is_file(), "{} is missing", path.display());
    let target = Target::Cmd(format!("python3 '{}'", path.display()));
    let report = common::grade(step, target, &common::quiet()).await;
    let short: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.points() != r.max_points)
        .map(|r| format!("{} ({:?}, {}/{})", r.id, r.status, r.points(), r.max_points))
        .collect();
    assert!(
        short.is_empty() && report.all_passed(),
        "{server} at step {step} fell short on: {}\n{}",
        short.join(", "),
        common::explain(&report)
    );
    assert_eq!(report.score(), report.max_score());
}

/// Issue #16: a Flask server written from the contract alone, apart from the
/// kit, gets full marks at step 03 (and so at steps 01 and 02's checks).
#[tokio::test]
async fn a_flask_step_03_server_gets_full_marks() {
    flask_server_gets_full_marks(
        "a_flask_step_03_server_gets_full_marks",
        "03",
        "flask_step03/app.py",
    )
    .await;
}

#[tokio::test]
async fn stock_flask_static_files_pass_the_static_checks() {
    if let Some(why) = flask_missing() {
        println!("SKIPPED stock_flask_static_files_pass_the_static_checks: {why}");
        return;
    }
    let path = kit_root().join("harness/tests/python/flask_static.py");
    let target = Target::Cmd(format!("python3 '{}'", path.display()));
    let report = common::grade("01", target, &common::quiet()).await;
    for id in ["s01.static-files", "s01.static-missing", "s01.static-traversal"] {
        let result = report.results.iter().find(|r| r.id == id).expect("a check of step 01");
        assert_eq!(
            result.points(),
            result.max_points,
            "{id} against stock Flask:\n{}",
            common::explain(&report)
        );
    }
}

/// The same for step 04: users and sessions in SQLite, through Python's sqlite3.
#[tokio::test]
async fn a_flask_step_04_server_gets_full_marks() {
    flask_server_gets_full_marks(
        "a_flask_step_04_server_gets_full_marks",
        "04",
        "flask_step04/app.py",
    )
    .await;
}
