//! `report.html`: the class at a glance. A heat map of students by checks,
//! the checks most failed, and each student's failures with their messages
//! and the server's last lines. One file, no script, nothing fetched.
//!
//! The page is an askama template (`harness/templates/class_report.html`),
//! which escapes every value it is given: student names, messages and
//! server output are shown as text, whatever they hold.

use askama::Template;

use crate::{
    class::{ClassResults, Outcome, StudentResults, Verdict},
    report::{CheckResult, Status},
    student::clock,
};

#[derive(Template)]
#[template(path = "class_report.html")]
struct Page {
    title: String,
    generated: String,
    took: String,
    student_count: usize,
    mean: String,
    counts: Vec<Count>,
    steps: Vec<StepHead>,
    columns: Vec<Column>,
    rows: Vec<Row>,
    most_failed: Vec<Failed>,
    students: Vec<Section>,
}

struct Count {
    id: &'static str,
    words: &'static str,
    count: usize,
}

struct StepHead {
    id: &'static str,
    title: &'static str,
    span: usize,
}

struct Column {
    id: &'static str,
    title: &'static str,
    points: u32,
}

struct Row {
    anchor: String,
    name: String,
    cells: Vec<Cell>,
    score: u32,
    max: u32,
    verdict: &'static str,
    verdict_id: &'static str,
}

struct Cell {
    status: &'static str,
    mark: &'static str,
    tip: String,
}

struct Failed {
    id: &'static str,
    title: &'static str,
    /// Failed or could not run: skipped ones are counted apart, since
    /// they failed something else first.
    failed: usize,
    skipped: usize,
    of: usize,
    width: usize,
}

struct Section {
    anchor: String,
    name: String,
    submission: String,
    score: u32,
    max: u32,
    steps: Vec<StepSection>,
}

struct StepSection {
    id: &'static str,
    verdict: &'static str,
    verdict_id: &'static str,
    detail: String,
    score: u32,
    max: u32,
    build: String,
    grading: String,
    notes: Vec<String>,
    /// Failed, or could not run: with their messages.
    failures: Vec<FailureItem>,
    /// Skipped: their ids only, the reason is a failure above.
    skipped: Vec<&'static str>,
    log: String,
}

struct FailureItem {
    id: &'static str,
    title: &'static str,
    status: &'static str,
    message: String,
}

/// How many checks the "most failed" table shows at most.
const MOST_FAILED: usize = 15;

pub fn render(class: &ClassResults) -> String {
    let page = page(class);
    page.render().expect("the class report template renders")
}

fn page(class: &ClassResults) -> Page {
    let step_ids: Vec<&str> = class.steps.iter().map(|s| s.id).collect();
    let title = match step_ids.as_slice() {
        [one] => format!("Authlings: step {one}"),
        many => format!("Authlings: steps {}", many.join(", ")),
    };
    let columns: Vec<Column> = class
        .steps
        .iter()
        .flat_map(|s| (s.checks)())
        .map(|c| Column { id: c.id, title: c.title, points: c.points })
        .collect();
    let steps = class
        .steps
        .iter()
        .map(|s| StepHead { id: s.id, title: s.title, span: (s.checks)().len() })
        .collect();
    let (scored, possible) =
        class.students.iter().fold((0, 0), |(got, of), s| (got + s.score(), of + s.max_score()));
    let mean = if possible == 0 {
        "-".to_owned()
    } else {
        format!("{:.0}%", f64::from(scored) * 100.0 / f64::from(possible))
    };
    let counts = class
        .verdict_counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(v, count)| Count { id: v.id(), words: v.words(), count })
        .collect();
    Page {
        title,
        generated: clock::rfc3339(class.started),
        took: format!("{:.0} s", class.took.as_secs_f64()),
        student_count: class.students.len(),
        mean,
        counts,
        steps,
        rows: class.students.iter().enumerate().map(|(i, s)| row(i, s, &columns)).collect(),
        most_failed: most_failed(class, &columns),
        students: class.students.iter().enumerate().map(|(i, s)| section(i, s)).collect(),
        columns,
    }
}

fn anchor(index: usize) -> String {
    format!("student-{}", index + 1)
}

fn row(index: usize, student: &StudentResults, columns: &[Column]) -> Row {
    let results: Vec<&CheckResult> =
        student.outcomes.iter().flat_map(|o| &o.report.results).collect();
    let cells = columns
        .iter()
        .map(|column| match results.iter().find(|r| r.id == column.id) {
            Some(result) => {
                let (status, mark) = look(result.status);
                let first = result.message().lines().next().unwrap_or_default().to_owned();
                let tip = if first.is_empty() {
                    format!("{}: {status}", result.id)
                } else {
                    format!("{}: {status}\n{first}", result.id)
                };
                Cell { status, mark, tip }
            }
            None => Cell { status: "skip", mark: "", tip: format!("{}: not graded", column.id) },
        })
        .collect();
    let worst = student.worst().unwrap_or(Verdict::NoExercise);
    Row {
        anchor: anchor(index),
        name: student.submission.name.clone(),
        cells,
        score: student.score(),
        max: student.max_score(),
        verdict: worst.words(),
        verdict_id: worst.id(),
    }
}

fn look(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Pass => ("pass", "✓"),
        Status::Fail => ("fail", "✗"),
        Status::Skip => ("skip", "·"),
        Status::Error => ("error", "!"),
    }
}

/// The checks that failed for the most students, most first.
fn most_failed(class: &ClassResults, columns: &[Column]) -> Vec<Failed> {
    let results: Vec<&CheckResult> =
        class.students.iter().flat_map(|s| &s.outcomes).flat_map(|o| &o.report.results).collect();
    let mut failed: Vec<Failed> = columns
        .iter()
        .map(|column| {
            let of_check: Vec<&&CheckResult> =
                results.iter().filter(|r| r.id == column.id).collect();
            let count = |status| of_check.iter().filter(|r| r.status == status).count();
            let failed = count(Status::Fail) + count(Status::Error);
            let skipped = count(Status::Skip);
            let of = of_check.len();
            let width = (failed * 120).checked_div(of).unwrap_or(0);
            Failed { id: column.id, title: column.title, failed, skipped, of, width }
        })
        .filter(|f| f.failed > 0)
        .collect();
    // Stable: checks failed as often stay in the step's order.
    failed.sort_by_key(|f| std::cmp::Reverse(f.failed));
    failed.truncate(MOST_FAILED);
    failed
}

fn section(index: usize, student: &StudentResults) -> Section {
    Section {
        anchor: anchor(index),
        name: student.submission.name.clone(),
        submission: student.submission.dir.display().to_string(),
        score: student.score(),
        max: student.max_score(),
        steps: student.outcomes.iter().map(step_section).collect(),
    }
}

fn step_section(outcome: &Outcome) -> StepSection {
    let report = &outcome.report;
    let failures = report
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Error))
        .map(|r| FailureItem {
            id: r.id,
            title: r.title,
            status: look(r.status).0,
            message: r.message(),
        })
        .collect();
    let skipped =
        report.results.iter().filter(|r| r.status == Status::Skip).map(|r| r.id).collect();
    StepSection {
        id: report.step,
        verdict: outcome.verdict.words(),
        verdict_id: outcome.verdict.id(),
        detail: outcome.detail.clone(),
        score: report.score(),
        max: report.max_score(),
        build: format!("{:.1} s", outcome.build_time.as_secs_f64()),
        grading: format!("{:.1} s", outcome.grading_time.as_secs_f64()),
        notes: report.notes.clone(),
        failures,
        skipped,
        log: if report.all_passed() { String::new() } else { report.log.trim_end().to_owned() },
    }
}
