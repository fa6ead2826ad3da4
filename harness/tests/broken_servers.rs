//! The judge is sharp: every check is failed by at least one deliberately
//! broken server, and each broken server fails the check it was broken for.

mod common;

use std::collections::BTreeSet;

use harness::{report::Status, steps};

#[tokio::test]
async fn every_flaw_fails_the_check_it_breaks() {
    let mut problems = Vec::new();
    for flaw in mutants::FLAWS.iter().filter(|f| !f.breaks.is_empty()) {
        let target = common::mutant_cmd(flaw.step, flaw.name).await;
        let mut options = common::quiet();
        options.ready_within = std::time::Duration::from_secs(3);
        let report = common::grade(flaw.step, target, &options).await;
        for id in flaw.breaks {
            let status = report.results.iter().find(|r| r.id == *id).map(|r| r.status);
            if status != Some(Status::Fail) {
                problems.push(format!("flaw {} should fail {id}, but it is {status:?}", flaw.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_check_is_broken_by_some_flaw() {
    let broken: BTreeSet<&str> =
        mutants::FLAWS.iter().flat_map(|f| f.breaks.iter().copied()).collect();
    let unproven: Vec<&str> = steps::STEPS
        .iter()
        .flat_map(|step| (step.checks)())
        .map(|check| check.id)
        .filter(|id| !broken.contains(id))
        .collect();
    assert!(unproven.is_empty(), "no broken server fails these checks: {unproven:?}");
}
