//! What the student has done: each step's best score, as a small TOML file
//! a person can read, keep and copy; and the last graded report of a step,
//! which `hint` reads back.

use std::{collections::BTreeMap, fmt::Write as _};

use serde::Deserialize;

use crate::{
    report::{self, Report},
    steps::Step,
};

/// One step's record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StepProgress {
    /// The best score any grading of the exercise got.
    pub best: u32,
    /// The step's points at the last grading.
    pub max: u32,
    /// Every check passed, at least once.
    pub passed: bool,
    /// The score of the last grading.
    pub last: u32,
    /// When that was, RFC 3339 in UTC.
    pub graded: String,
}

/// Every step's record, by step id ("01").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub steps: BTreeMap<String, StepProgress>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    steps: BTreeMap<String, StepProgress>,
}

const HEADER: &str = "\
# Your progress through Authlings. `cargo authlings` writes this file each
# time it grades one of your exercises (`cargo authlings list` shows it).
# It is yours: keep it, copy it to another machine, or delete a step's table
# to start that step's record afresh.
#
# best: the best score so far; max: the step's points; passed: every check
# passed at least once; last: the last grading's score, at `graded` (UTC).
";

impl Progress {
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Self { steps: file.steps })
    }

    /// The file's text: a commented header, then a table a step.
    pub fn render(&self) -> String {
        let mut out = String::from(HEADER);
        for (id, step) in &self.steps {
            writeln!(out, "\n[steps.\"{id}\"]").unwrap();
            writeln!(out, "best = {}", step.best).unwrap();
            writeln!(out, "max = {}", step.max).unwrap();
            writeln!(out, "passed = {}", step.passed).unwrap();
            writeln!(out, "last = {}", step.last).unwrap();
            writeln!(out, "graded = \"{}\"", step.graded.replace(['"', '\\'], "")).unwrap();
        }
        out
    }

    /// Takes in a grading of the student's exercise, done at `graded`.
    pub fn record(&mut self, report: &Report, graded: &str) {
        let step = self.steps.entry(report.step.to_owned()).or_default();
        step.last = report.score();
        step.best = step.best.max(step.last);
        step.max = report.max_score();
        step.passed |= report.all_passed();
        step.graded = graded.to_owned();
    }

    pub fn get(&self, step: &str) -> Option<&StepProgress> {
        self.steps.get(step)
    }

    /// Whether every check of `step` has passed at some grading.
    pub fn passed(&self, step: &str) -> bool {
        self.get(step).is_some_and(|s| s.passed)
    }

    /// The first step, in order, not passed yet.
    pub fn first_unpassed<'a>(&self, steps: &'a [Step]) -> Option<&'a Step> {
        steps.iter().find(|step| !self.passed(step.id))
    }
}

/// A step's last graded report, as stored in `.authlings/last/NN.json`
/// (the contract's JSON report, plus when it was made).
#[derive(Clone, Debug, Deserialize)]
pub struct LastResult {
    pub step: String,
    pub score: u32,
    pub max_score: u32,
    pub checks: Vec<LastCheck>,
    #[serde(default)]
    pub graded: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LastCheck {
    pub id: String,
    pub title: String,
    /// `pass`, `fail`, `skip` or `error`.
    pub status: String,
    pub points: u32,
    pub max_points: u32,
    pub message: String,
}

impl LastResult {
    /// The stored form of `report`, graded at `graded`.
    pub fn json(report: &Report, graded: &str) -> serde_json::Value {
        let mut value = report::json::render(report);
        value["graded"] = serde_json::Value::from(graded);
        value
    }

    pub fn from_report(report: &Report, graded: &str) -> Self {
        serde_json::from_value(Self::json(report, graded))
            .expect("the report's JSON has this shape")
    }

    /// The first check that failed or could not run; skipped checks wait
    /// for it, so it is the one to work on.
    pub fn first_failing(&self) -> Option<&LastCheck> {
        self.checks.iter().find(|c| c.status == "fail" || c.status == "error")
    }

    pub fn check(&self, id: &str) -> Option<&LastCheck> {
        self.checks.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_reads_back_what_it_wrote() {
        let mut progress = Progress::default();
        progress.steps.insert(
            "01".into(),
            StepProgress {
                best: 20,
                max: 32,
                passed: false,
                last: 9,
                graded: "2026-11-21T12:00:00Z".into(),
            },
        );
        progress.steps.insert(
            "02".into(),
            StepProgress {
                best: 63,
                max: 63,
                passed: true,
                last: 63,
                graded: "2026-11-22T08:30:00Z".into(),
            },
        );
        let text = progress.render();
        assert!(text.starts_with("# Your progress"));
        assert!(text.contains("[steps.\"01\"]\nbest = 20\n"));
        assert_eq!(Progress::parse(&text).unwrap(), progress);
    }

    #[test]
    fn an_empty_or_partial_file_is_no_progress_yet() {
        assert_eq!(Progress::parse("").unwrap(), Progress::default());
        let partial = Progress::parse("[steps.\"01\"]\nbest = 3\n").unwrap();
        assert_eq!(partial.get("01").unwrap().best, 3);
        assert!(!partial.passed("01"));
        assert!(Progress::parse("[steps.01\nbest = ").is_err());
    }
}
