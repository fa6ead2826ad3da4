//! `authlings bundle`: a Gradescope autograder whose scripts are valid
//! bash, whose zip has them at its root, and whose `run_autograder` turns a
//! submission into Gradescope's `results.json`.

use std::{os::unix::fs::PermissionsExt, process::Command};

use harness::{
    class::{
        bundle,
        samples::{self, Kind},
    },
    kit_root::kit_root,
    steps,
};
use serde_json::Value;

#[test]
fn a_bundle_holds_two_valid_scripts_and_the_kit() {
    let out = tempfile::tempdir().unwrap();
    let step = steps::find("01").unwrap();
    bundle::write(step, &kit_root(), out.path()).unwrap();
    for script in ["setup.sh", "run_autograder"] {
        let path = out.path().join(script);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("#!/usr/bin/env bash\n"), "{script}");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o111, 0o111);
        let syntax = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(syntax.status.success(), "{script}: {}", String::from_utf8_lossy(&syntax.stderr));
    }
    let setup = std::fs::read_to_string(out.path().join("setup.sh")).unwrap();
    assert!(setup.contains("cargo build --locked -p harness"));
    assert!(setup.contains("authlings grade 01 "));
    for kept in [
        "Cargo.toml",
        "Cargo.lock",
        "harness/src/main.rs",
        "kit/Cargo.toml",
        "fixtures/users.toml",
        "exercises/01-hardcoded/Cargo.toml",
        "solutions/01-hardcoded/Cargo.toml",
    ] {
        assert!(out.path().join("kit").join(kept).is_file(), "kit/{kept} is missing");
    }
    assert!(!out.path().join("kit/target").exists());
    let zip = out.path().join("autograder.zip");
    if zip.is_file() {
        let listing = Command::new("unzip").arg("-Z1").arg(&zip).output().unwrap();
        let names = String::from_utf8_lossy(&listing.stdout);
        assert!(names.lines().any(|l| l == "setup.sh"), "{names}");
        assert!(names.lines().any(|l| l == "run_autograder"));
        assert!(names.lines().any(|l| l == "kit/Cargo.toml"));
    }
}

#[test]
fn run_autograder_writes_gradescope_results_for_a_submission() {
    let root = tempfile::tempdir().unwrap();
    let step = steps::find("01").unwrap();
    bundle::write(step, &kit_root(), &root.path().join("source")).unwrap();
    samples::write(Kind::Correct, step, &kit_root(), &root.path().join("submission"), 1, "0")
        .unwrap();
    let run = Command::new(root.path().join("source/run_autograder"))
        .env("AUTOGRADER", root.path())
        .env("AUTHLINGS", env!("CARGO_BIN_EXE_authlings"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    let results = root.path().join("results/results.json");
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    assert_eq!(results["score"], step.max_score(), "{results:#}\n{said}");
    assert!(results["tests"].as_array().unwrap().iter().all(|t| t["status"] == "passed"));
}
