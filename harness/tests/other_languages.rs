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
