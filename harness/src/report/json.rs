//! The contract's machine-readable report: one JSON object.

use serde_json::{Value, json};

use super::Report;

pub fn render(report: &Report) -> Value {
    let checks: Vec<Value> = report
        .results
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "title": r.title,
                "status": r.status,
                "points": r.points(),
                "max_points": r.max_points,
                "message": r.message(),
            })
        })
        .collect();
    json!({
        "step": report.step,
        "score": report.score(),
        "max_score": report.max_score(),
        "checks": checks,
        "notes": report.notes,
        "log": report.log,
    })
}
