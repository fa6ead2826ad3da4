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

/// How many flaws are graded at once. Only failures are asserted here, and a
/// loaded machine makes a flawed server slower, never less flawed, so two
/// at a time is safe on two cores and halves the longest test of the kit.
const AT_ONCE: usize = 2;

#[tokio::test]
async fn every_flaw_fails_the_check_it_breaks() {
    let steps = steps_to_grade();
    let flaws: Vec<&'static mutants::Flaw> =
        mutants::FLAWS.iter().filter(|f| steps.contains(&f.step) && !f.breaks.is_empty()).collect();
    let turns = std::sync::Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    // Checks hold non-`Send` futures: the gradings share this thread, which
    // is enough, since they mostly wait for their servers.
    let local = tokio::task::LocalSet::new();
    let mut gradings = tokio::task::JoinSet::new();
    for flaw in flaws {
        let turns = turns.clone();
        gradings.spawn_local_on(
            async move {
                let _turn = turns.acquire_owned().await.expect("never closed");
                let target = common::mutant_cmd(flaw.step, flaw.name).await;
                let mut options = common::quiet();
                // Generous: a second grading shares the machine.
                options.ready_within = std::time::Duration::from_secs(10);
                let report = common::grade(flaw.step, target, &options).await;
                flaw.breaks
                    .iter()
                    .filter_map(|id| {
                        let status = report.results.iter().find(|r| r.id == *id).map(|r| r.status);
                        (status != Some(Status::Fail)).then(|| {
                            format!("flaw {} should fail {id}, but it is {status:?}", flaw.name)
                        })
                    })
                    .collect::<Vec<_>>()
            },
            &local,
        );
    }
    let mut problems = Vec::new();
    local
        .run_until(async {
            while let Some(found) = gradings.join_next().await {
                problems.extend(found.expect("a grading panicked"));
            }
        })
        .await;
    problems.sort();
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
