//! Gradescope's `results.json` for one student, as its autograder
//! specification describes it (gradescope-autograders.readthedocs.io,
//! "Autograder Specifications"): a top-level `score`, and a `tests` list
//! with each check's `name`, `score`, `max_score`, `status` (`passed` or
//! `failed`: Gradescope knows no other), `output` and `visibility`.
//!
//! Outputs are plain text (`output_format: "text"`), so whatever a
//! student's server printed is shown as text, never as HTML or Markdown.
//! Our four statuses are kept in each test's `extra_data`.

use serde_json::{Value, json};

use crate::{
    class::StudentResults,
    report::{CheckResult, Status},
};

pub fn results(student: &StudentResults) -> Value {
    let tests: Vec<Value> = student
        .outcomes
        .iter()
        .flat_map(|outcome| outcome.report.results.iter())
        .map(test)
        .collect();
    let took: f64 =
        student.outcomes.iter().map(|o| (o.build_time + o.grading_time).as_secs_f64()).sum();
    json!({
        "score": student.score(),
        "execution_time": took.ceil() as u64,
        "output": summary(student),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    })
}

fn test(result: &CheckResult) -> Value {
    let status = match result.status {
        Status::Pass => "passed",
        Status::Fail | Status::Skip | Status::Error => "failed",
    };
    let output = match result.status {
        Status::Pass => String::new(),
        Status::Skip => format!("skipped: {}", result.message()),
        Status::Fail | Status::Error => result.message(),
    };
    json!({
        "name": format!("{}: {}", result.id, result.title),
        "score": result.points(),
        "max_score": result.max_points,
        "status": status,
        "output": output,
        "visibility": "visible",
        "extra_data": { "check": result.id, "status": result.status },
    })
}

/// What the student reads first: each step's score and verdict, and what
/// the server printed last when something went wrong.
fn summary(student: &StudentResults) -> String {
    let mut lines = Vec::new();
    for outcome in &student.outcomes {
        let report = &outcome.report;
        let mut line = format!(
            "Step {} ({}): {}/{}, {}",
            report.step,
            report.title,
            report.score(),
            report.max_score(),
            outcome.verdict.words()
        );
        if !outcome.detail.is_empty() {
            line.push_str(&format!(": {}", outcome.detail));
        }
        lines.push(line);
        lines.extend(report.notes.iter().map(|note| format!("note: {note}")));
        if !report.all_passed() && !report.log.trim().is_empty() {
            lines.push("The last lines your server printed:".into());
            lines.extend(report.log.lines().map(|l| format!("  | {l}")));
        }
    }
    lines.join("\n")
}
