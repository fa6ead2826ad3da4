//! Each exercise as shipped fails exactly the checks of its concept and
//! passes the ready-made parts; the list is a snapshot to review.

mod common;

use harness::target::Target;

async fn snapshot(step: &str) {
    let report = common::grade(step, Target::Exercise, &common::quiet()).await;
    let lines: Vec<String> =
        common::statuses(&report).iter().map(|(id, status)| format!("{id}: {status:?}")).collect();
    insta::assert_snapshot!(format!("exercise-{step}"), lines.join("\n"));
    assert!(report.score() < report.max_score());
}

#[tokio::test]
async fn the_step_01_exercise_fails_only_its_concept() {
    snapshot("01").await;
}

#[tokio::test]
async fn the_step_02_exercise_fails_only_its_concept() {
    snapshot("02").await;
}

#[tokio::test]
async fn the_step_03_exercise_fails_only_its_concept() {
    snapshot("03").await;
}

#[tokio::test]
async fn the_step_04_exercise_fails_only_its_concept() {
    snapshot("04").await;
}

#[tokio::test]
async fn the_step_05_exercise_fails_only_its_concept() {
    snapshot("05").await;
}

#[tokio::test]
async fn the_step_06_exercise_fails_only_its_concept() {
    snapshot("06").await;
}
