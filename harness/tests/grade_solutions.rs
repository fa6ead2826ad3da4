//! Every reference solution, and an independent server written to the
//! contract, get full marks.

mod common;

use harness::target::Target;

#[tokio::test]
async fn the_step_01_solution_gets_full_marks() {
    let report = common::grade("01", Target::Solution, &common::quiet()).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
    assert_eq!(report.score(), report.max_score());
}

#[tokio::test]
async fn the_step_02_solution_gets_full_marks() {
    let report = common::grade("02", Target::Solution, &common::quiet()).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
}

#[tokio::test]
async fn the_step_03_solution_gets_full_marks() {
    let report = common::grade("03", Target::Solution, &common::quiet()).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
}

#[tokio::test]
async fn an_independent_step_01_server_gets_full_marks() {
    let target = common::mutant_cmd("01", "none").await;
    let report = common::grade("01", target, &common::quiet()).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
}

#[tokio::test]
async fn a_server_that_floods_stderr_is_graded_normally() {
    let target = common::mutant_cmd("01", "flood-stderr").await;
    let report = common::grade("01", target, &common::quiet()).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
}
