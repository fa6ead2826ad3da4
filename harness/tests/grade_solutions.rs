//! Every reference solution, and an independent server written to the
//! contract, get full marks.

mod common;

use harness::{runner::Options, target::Target};

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
async fn the_step_04_solution_gets_full_marks() {
    let report = common::grade("04", Target::Solution, &common::quiet()).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
}

#[tokio::test]
async fn the_step_04_solution_gets_full_marks_on_postgresql() {
    let Some((server, mut admin)) = common::postgres("the PostgreSQL grading of step 04").await
    else {
        return;
    };
    let options = Options { database_url: Some(server), ..common::quiet() };
    let report = common::grade("04", Target::Solution, &options).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
    // The run named its database in a note; it must be gone.
    let name = report
        .notes
        .iter()
        .find_map(|note| {
            let at = note.find("authlings_")?;
            Some(note[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_'))
        })
        .map(String::from_iter)
        .unwrap_or_else(|| panic!("no note names the run's database: {:?}", report.notes));
    assert!(!common::database_exists(&mut admin, &name).await, "{name} was not dropped");
}

#[tokio::test]
async fn the_step_05_solution_gets_full_marks() {
    let report = common::grade("05", Target::Solution, &common::quiet()).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
}

#[tokio::test]
async fn the_step_05_solution_gets_full_marks_on_postgresql() {
    let Some((server, _admin)) = common::postgres("the PostgreSQL grading of step 05").await else {
        return;
    };
    let options = Options { database_url: Some(server), ..common::quiet() };
    let report = common::grade("05", Target::Solution, &options).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
}

#[tokio::test]
async fn the_step_06_solution_gets_full_marks() {
    let report = common::grade("06", Target::Solution, &common::quiet()).await;
    assert!(report.all_passed(), "{}", common::explain(&report));
}

#[tokio::test]
async fn the_step_06_solution_gets_full_marks_on_postgresql() {
    let Some((server, _admin)) = common::postgres("the PostgreSQL grading of step 06").await else {
        return;
    };
    let options = Options { database_url: Some(server), ..common::quiet() };
    let report = common::grade("06", Target::Solution, &options).await;
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
