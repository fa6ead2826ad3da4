//! `authlings list`: the steps with the student's score on each and what
//! is next; with `--checks`, every check and how it did last time.

use std::fmt::Write as _;

use super::progress::{LastResult, Progress};
use crate::{report::Split, steps::Step};

/// The list as a person reads it. `last` gives a step's last report, for
/// the checks' statuses.
pub fn render(
    steps: &[Step],
    progress: &Progress,
    last: &dyn Fn(&str) -> Option<LastResult>,
    with_checks: bool,
) -> String {
    let next = progress.first_unpassed(steps).map(|step| step.id);
    let folder_width = steps.iter().map(|s| s.folder.len()).max().unwrap_or(0);
    let mut out = String::new();
    writeln!(
        out,
        "{:<4}  {:<folder_width$}  {:>7}  {:>23}  {:<7}  title",
        "step", "folder", "best", "last grading: this step", "state"
    )
    .unwrap();
    for step in steps {
        let max = step.max_score();
        let record = progress.get(step.id);
        let score = match record {
            Some(record) => format!("{}/{max}", record.best),
            None => format!("-/{max}"),
        };
        // The step's own checks apart, from its last grading: carried-over
        // checks that pass say nothing of this step's concept.
        let last = last(step.id);
        let own = match &last {
            Some(last) => {
                let split = Split::of(
                    step.id,
                    last.checks.iter().map(|c| (c.id.as_str(), c.points, c.max_points)),
                );
                format!("{}/{}", split.own.0, split.own.1)
            }
            None => String::new(),
        };
        let state = match record {
            Some(record) if record.passed => "done",
            _ if next == Some(step.id) => "next",
            Some(_) => "started",
            None => "",
        };
        writeln!(
            out,
            "{:<4}  {:<folder_width$}  {score:>7}  {own:>23}  {state:<7}  {}",
            step.id, step.folder, step.title
        )
        .unwrap();
        if with_checks {
            for check in (step.checks)() {
                let status = last
                    .as_ref()
                    .and_then(|last| last.check(check.id))
                    .map_or("", |c| c.status.as_str());
                writeln!(
                    out,
                    "      {:<30} {:>2}  {status:<5}  {}",
                    check.id, check.points, check.title
                )
                .unwrap();
            }
        }
    }
    out.push('\n');
    match next.and_then(|id| steps.iter().find(|s| s.id == id)) {
        Some(step) => writeln!(
            out,
            "Next: step {} ({}). `cargo authlings` works on it with the grader watching; \
             `cargo authlings hint {}` helps when you are stuck.",
            step.id, step.folder, step.id
        )
        .unwrap(),
        None => writeln!(
            out,
            "Every step is done. `cargo authlings solution NN` shows a reference solution to compare with yours."
        )
        .unwrap(),
    }
    out
}
