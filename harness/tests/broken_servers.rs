//! The judge is sharp: every check is failed by at least one deliberately
//! broken server, and each broken server fails the check it was broken for.
//!
//! Grading every flaw takes minutes; while working on one step,
//! `AUTHLINGS_STEPS=04 cargo test -p harness --test broken_servers` grades
//! only that step's flaws (the whole table is still checked for coverage).

mod common;

use std::collections::BTreeSet;

use harness::{report::Status, runner::Options, steps};

/// The steps whose flaws are graded: all of them, unless `AUTHLINGS_STEPS`
/// names some (`04`, or `03,04`) to narrow a run while one step is worked
/// on. A name that is no step fails, so a typo cannot pass by grading nothing.
fn steps_to_grade() -> Vec<&'static str> {
    let Some(list) = std::env::var("AUTHLINGS_STEPS").ok().filter(|list| !list.trim().is_empty())
    else {
        return mutants::STEPS.to_vec();
    };
    let named: Vec<&str> = list.split(',').map(str::trim).collect();
    let unknown: Vec<&&str> = named.iter().filter(|step| !mutants::STEPS.contains(step)).collect();
    assert!(
        unknown.is_empty(),
        "AUTHLINGS_STEPS={list:?} names no step {unknown:?}; the steps are {:?}",
        mutants::STEPS
    );
    eprintln!("broken_servers: only the flaws of steps {named:?} (AUTHLINGS_STEPS)");
    mutants::STEPS.iter().copied().filter(|step| named.contains(step)).collect()
}

/// A check a flaw fails proves something only if the same server without
/// the flaw passes it.
#[tokio::test]
async fn the_flawless_server_of_every_step_gets_full_marks() {
    let mut problems = Vec::new();
    for step in steps_to_grade() {
        let target = common::mutant_cmd(step, mutants::NONE).await;
        let report = common::grade(step, target, &common::quiet()).await;
        if !report.all_passed() {
            problems.push(common::explain(&report));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn the_flawless_step_04_server_gets_full_marks_on_postgresql() {
    if !steps_to_grade().contains(&"04") {
        return;
    }
    let test = "the PostgreSQL grading of the flawless step 04 mutant";
    let Some((server, _admin)) = common::postgres(test).await else {
        return;
    };
    let target = common::mutant_cmd("04", mutants::NONE).await;
    let options = Options { database_url: Some(server), ..common::quiet() };
    let report = common::grade("04", target, &options).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
}

#[tokio::test]
async fn every_flaw_fails_the_check_it_breaks() {
    let steps = steps_to_grade();
    let mut problems = Vec::new();
    let flaws = mutants::FLAWS.iter().filter(|f| steps.contains(&f.step) && !f.breaks.is_empty());
    for flaw in flaws {
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
