//! `authlings hint`: the hint of the first failing check of a step (from
//! its last grading), or of a check named, with the book section that
//! explains it and what the grader saw last time.

use std::{fmt::Write as _, path::Path, process::ExitCode};

use super::{
    State, clock,
    grade::{self, Verdict},
    progress::{LastCheck, LastResult},
};
use crate::{
    check::Check,
    report::book_link,
    runner::Options,
    steps::{self, STEPS, Step},
};

/// `authlings hint [STEP] [CHECK]`. The step may be left out (the first
/// not passed), or given as a check id (`s01.login-success`).
pub async fn command(
    kit_root: &Path,
    state: &State,
    step: Option<&str>,
    check: Option<&str>,
) -> ExitCode {
    let (step_name, check) = match (step, check) {
        (Some(id), None) if id.contains('.') => {
            (id.split('.').next().map(|s| s.trim_start_matches('s')), Some(id))
        }
        other => other,
    };
    let step = match step_name {
        Some(name) => match steps::find(name) {
            Some(step) => step,
            None => {
                eprintln!("error: there is no step {name:?}");
                return ExitCode::from(2);
            }
        },
        None => match state.progress().first_unpassed(STEPS) {
            Some(step) => step,
            None => {
                println!(
                    "Every step passes: no hint needed. `cargo authlings hint NN CHECK` shows any check's hint."
                );
                return ExitCode::SUCCESS;
            }
        },
    };
    let checks = (step.checks)();
    if let Some(name) = check {
        return match find(&checks, step, name) {
            Ok(check) => {
                let last = state.last(step.id);
                let seen = last.as_ref().and_then(|l| l.check(check.id));
                print!("{}", render(check, seen, last.as_ref().map_or("", |l| l.graded.as_str())));
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::from(2)
            }
        };
    }
    let last = match state.last(step.id) {
        Some(last) => last,
        None => {
            eprintln!("Step {} has no grading yet: grading it first.", step.id);
            let options = Options { echo_build: false, ..Options::default() };
            let dir = step.exercise_dir(kit_root);
            match grade::build_and_grade(step, &dir, &options, true).await.0 {
                Verdict::DoesNotCompile(failure) => {
                    println!(
                        "{}\n\n{}",
                        grade::compile_headline(step, &failure),
                        failure.diagnostics.trim_end()
                    );
                    return ExitCode::FAILURE;
                }
                Verdict::Graded(report) => {
                    if let Err(error) = state.record(&report) {
                        eprintln!("warning: cannot record your progress: {error}");
                    }
                    LastResult::from_report(&report, &clock::rfc3339(clock::now()))
                }
            }
        }
    };
    match pick(&checks, step, &last, None) {
        Ok(Pick::Check(check)) => {
            print!("{}", render(check, last.check(check.id), &last.graded));
            ExitCode::SUCCESS
        }
        Ok(Pick::AllPassed) => {
            println!(
                "Every check of step {} passed at the last grading ({}). `cargo authlings hint {} CHECK` shows any check's hint.",
                step.id, last.graded, step.id
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The check `name` names among `checks`: its id (`s01.login-success`)
/// or the id without the step's prefix (`login-success`).
pub fn find<'a>(checks: &'a [Check], step: &Step, name: &str) -> Result<&'a Check, String> {
    let full = format!("s{}.{name}", step.id);
    checks.iter().find(|c| c.id == name || c.id == full).ok_or_else(|| {
        let ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
        format!("step {} has no check {name:?}; its checks are:\n  {}", step.id, ids.join("\n  "))
    })
}

/// What to work on: the named check, or the first one that failed last time.
pub enum Pick<'a> {
    Check(&'a Check),
    /// The last grading passed every check.
    AllPassed,
}

pub fn pick<'a>(
    checks: &'a [Check],
    step: &Step,
    last: &LastResult,
    named: Option<&str>,
) -> Result<Pick<'a>, String> {
    if let Some(name) = named {
        return find(checks, step, name).map(Pick::Check);
    }
    match last.first_failing() {
        None => Ok(Pick::AllPassed),
        Some(failing) => find(checks, step, &failing.id).map(Pick::Check),
    }
}

/// The hint as shown: title, hint, book section, and the failure the last
/// grading saw (without its own hint and book lines, said just above).
pub fn render(check: &Check, seen: Option<&LastCheck>, graded: &str) -> String {
    let mut out = String::new();
    writeln!(out, "{}: {}", check.id, check.title).unwrap();
    writeln!(out).unwrap();
    writeln!(out, "  hint: {}", check.hint).unwrap();
    writeln!(out, "  read: {}", book_link(check.book)).unwrap();
    if let Some(seen) = seen.filter(|seen| seen.status != "pass") {
        let when = if graded.is_empty() { String::new() } else { format!(" ({graded})") };
        writeln!(out, "\nLast grading{when}: {}", seen.status).unwrap();
        for line in seen
            .message
            .lines()
            .filter(|line| !line.starts_with("hint:") && !line.starts_with("read:"))
        {
            writeln!(out, "  {line}").unwrap();
        }
    } else if seen.is_some() {
        writeln!(out, "\nIt passed at the last grading.").unwrap();
    }
    out
}
