//! Grading a class: every student's submission of a step (or of every
//! step), in parallel, with one build cache, into the files instructors
//! import: a CSV gradebook, JSON per student, Gradescope's `results.json`,
//! JUnit XML and an HTML report.
//!
//! The pieces, in the order a run uses them: [`command`] reads the command
//! line; [`roster`] names the students and their folders; [`submission`]
//! finds a step's exercise in a folder and takes a snapshot of it (the only
//! thing a submission contributes); [`build_cache`] builds that snapshot
//! inside a copy of the instructor's kit ([`mirror`]), one build at a time,
//! with one shared target folder; [`schedule`] grades the binaries in
//! parallel, each in its own working folder, with a time limit, and
//! [`leftovers`] kills what a server left running; [`progress`] shows it;
//! [`outputs`] writes the files. [`bundle`] makes a Gradescope autograder,
//! [`bench`](mod@bench) times a class against separate builds, and [`samples`] makes
//! the submissions it (and the tests) grade.

pub mod bench;
pub mod build_cache;
pub mod bundle;
pub mod command;
pub mod leftovers;
pub mod mirror;
pub mod outputs;
pub mod progress;
pub mod roster;
pub mod samples;
pub mod schedule;
pub mod submission;

use std::{path::PathBuf, time::Duration};

use serde::Serialize;

use crate::{
    check::Failure,
    report::{CheckResult, Report, Status},
    steps::Step,
};

/// One student's folder, and the name their results go under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// As the roster gives it (or the folder's name).
    pub name: String,
    pub dir: PathBuf,
    /// `name` made safe for a file name, unique within the class.
    pub file_name: String,
}

/// What became of one submission of one step, in a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Graded, and every check passed.
    FullMarks,
    /// Graded; some checks did not pass.
    ChecksFailed,
    /// Built, but the server exited or never answered `GET /`.
    DidNotStart,
    DoesNotCompile,
    /// The build or the grading took longer than `--timeout`.
    TimedOut,
    /// The submission has no exercise for the step (or one too large to take).
    NoExercise,
}

impl Verdict {
    pub const ALL: [Verdict; 6] = [
        Verdict::FullMarks,
        Verdict::ChecksFailed,
        Verdict::DidNotStart,
        Verdict::DoesNotCompile,
        Verdict::TimedOut,
        Verdict::NoExercise,
    ];

    /// `checks-failed`: for files that programs read.
    pub fn id(self) -> &'static str {
        match self {
            Verdict::FullMarks => "full-marks",
            Verdict::ChecksFailed => "checks-failed",
            Verdict::DidNotStart => "did-not-start",
            Verdict::DoesNotCompile => "does-not-compile",
            Verdict::TimedOut => "timed-out",
            Verdict::NoExercise => "no-exercise",
        }
    }

    /// `some checks failed`: for people.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::FullMarks => "full marks",
            Verdict::ChecksFailed => "some checks failed",
            Verdict::DidNotStart => "did not start",
            Verdict::DoesNotCompile => "does not compile",
            Verdict::TimedOut => "timed out",
            Verdict::NoExercise => "no exercise",
        }
    }

    /// The verdict of a report the runner made from a built server.
    pub fn of_report(report: &Report) -> (Verdict, String) {
        if report.all_passed() {
            return (Verdict::FullMarks, String::new());
        }
        let start_failure = report.results.iter().find_map(|r| {
            r.failure.as_ref().filter(|f| f.expected == START_EXPECTED).map(|f| f.got.clone())
        });
        match start_failure {
            Some(got) => (Verdict::DidNotStart, first_line(&got.unwrap_or_default())),
            None => {
                let failed = report.results.iter().filter(|r| r.status != Status::Pass).count();
                (
                    Verdict::ChecksFailed,
                    format!("{failed} of {} checks did not pass", report.results.len()),
                )
            }
        }
    }
}

/// What the runner expects of a server that did not start (runner.rs).
const START_EXPECTED: &str = "the server to start and answer GET /";

/// One submission of one step, graded (or not, and why).
pub struct Outcome {
    pub step: &'static Step,
    pub verdict: Verdict,
    /// One line saying why, for every verdict but full marks.
    pub detail: String,
    /// Every check of the step, whatever happened: a submission that did
    /// not compile fails the first checks and skips the rest, as `check`
    /// reports it.
    pub report: Report,
    /// cargo's time for this submission (zero when it was not built).
    pub build_time: Duration,
    /// Starting the server, the checks, stopping it.
    pub grading_time: Duration,
}

impl Outcome {
    /// A report for a step whose server never ran: the checks without a
    /// prerequisite carry `failure`, the others are skipped.
    pub fn not_run(
        step: &'static Step,
        target: String,
        verdict: Verdict,
        detail: String,
        failure: Failure,
    ) -> Outcome {
        let mut report = empty_report(step, target);
        for check in (step.checks)() {
            let result = match check.requires {
                None => CheckResult::new(&check, Status::Fail).failed(failure.clone()),
                Some(_) => CheckResult::new(&check, Status::Skip)
                    .because(format!("the server did not run ({})", verdict.words())),
            };
            report.results.push(result);
        }
        Outcome {
            step,
            verdict,
            detail,
            report,
            build_time: Duration::ZERO,
            grading_time: Duration::ZERO,
        }
    }

    /// A report for a grading stopped by the time limit: every check is an
    /// error with the reason.
    pub fn timed_out(step: &'static Step, target: String, reason: String) -> Outcome {
        let mut report = empty_report(step, target);
        for check in (step.checks)() {
            report.results.push(CheckResult::new(&check, Status::Error).because(reason.clone()));
        }
        Outcome {
            step,
            verdict: Verdict::TimedOut,
            detail: reason,
            report,
            build_time: Duration::ZERO,
            grading_time: Duration::ZERO,
        }
    }
}

fn empty_report(step: &'static Step, target: String) -> Report {
    Report {
        step: step.id,
        title: step.title,
        target,
        results: Vec::new(),
        log: String::new(),
        notes: Vec::new(),
    }
}

/// One student's outcomes, one per step graded, in the steps' order.
pub struct StudentResults {
    pub submission: Submission,
    pub outcomes: Vec<Outcome>,
}

impl StudentResults {
    pub fn score(&self) -> u32 {
        self.outcomes.iter().map(|o| o.report.score()).sum()
    }

    pub fn max_score(&self) -> u32 {
        self.outcomes.iter().map(|o| o.report.max_score()).sum()
    }

    /// The verdict that matters most: the worst of the steps.
    pub fn worst(&self) -> Option<Verdict> {
        self.outcomes.iter().map(|o| o.verdict).max()
    }
}

/// A whole class, graded.
pub struct ClassResults {
    pub steps: Vec<&'static Step>,
    pub students: Vec<StudentResults>,
    /// Unix seconds when the run started.
    pub started: u64,
    pub took: Duration,
}

impl ClassResults {
    /// How many outcomes have each verdict, in [`Verdict::ALL`]'s order.
    pub fn verdict_counts(&self) -> Vec<(Verdict, usize)> {
        Verdict::ALL
            .iter()
            .map(|&v| {
                let n = self.students.iter().flat_map(|s| &s.outcomes).filter(|o| o.verdict == v);
                (v, n.count())
            })
            .collect()
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}
