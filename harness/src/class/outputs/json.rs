//! `results/<student>.json`: the contract's JSON report of each step the
//! student was graded on (`step`, `score`, `max_score`, `checks`, ...),
//! with the verdict and the times added, under the student's name.

use serde_json::{Value, json};

use crate::{
    class::{Outcome, StudentResults},
    report,
};

pub fn student(student: &StudentResults) -> Value {
    json!({
        "student": student.submission.name,
        "submission": student.submission.dir.display().to_string(),
        "score": student.score(),
        "max_score": student.max_score(),
        "steps": student.outcomes.iter().map(step).collect::<Vec<_>>(),
    })
}

/// One step: exactly what `authlings check --format json` prints, and more.
pub fn step(outcome: &Outcome) -> Value {
    let mut value = report::json::render(&outcome.report);
    let object = value.as_object_mut().expect("the report is an object");
    object.insert("verdict".into(), json!(outcome.verdict.id()));
    object.insert("detail".into(), json!(outcome.detail));
    object.insert("target".into(), json!(outcome.report.target));
    object.insert("build_secs".into(), json!(round(outcome.build_time.as_secs_f64())));
    object.insert("grading_secs".into(), json!(round(outcome.grading_time.as_secs_f64())));
    value
}

fn round(secs: f64) -> f64 {
    (secs * 100.0).round() / 100.0
}
