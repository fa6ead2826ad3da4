//! The verdict of a grading run, and its two faces: for a person
//! ([`human`]) and for a program ([`json`], the contract's format).

pub mod human;
pub mod json;

use serde::Serialize;

use crate::{
    check::{Check, Failure},
    steps::Step,
    target::Target,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Skip,
    /// The check could not be carried out (the server is gone, or it ran out of time).
    Error,
}

#[derive(Debug)]
pub struct CheckResult {
    pub id: &'static str,
    pub title: &'static str,
    pub status: Status,
    pub max_points: u32,
    pub hint: &'static str,
    pub book: &'static str,
    pub failure: Option<Failure>,
    /// Why a check was skipped or could not run.
    pub reason: Option<String>,
    pub(crate) no_answer: bool,
}

impl CheckResult {
    pub fn new(check: &Check, status: Status) -> Self {
        Self {
            id: check.id,
            title: check.title,
            status,
            max_points: check.points,
            hint: check.hint,
            book: check.book,
            failure: None,
            reason: None,
            no_answer: false,
        }
    }

    pub fn failed(mut self, failure: Failure) -> Self {
        self.no_answer = failure.no_answer;
        self.failure = Some(failure);
        self
    }

    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn points(&self) -> u32 {
        if self.status == Status::Pass { self.max_points } else { 0 }
    }

    /// The whole explanation in plain text: what was sent, expected and
    /// got, then the hint and where the book explains it.
    pub fn message(&self) -> String {
        let mut lines = Vec::new();
        if let Some(reason) = &self.reason {
            lines.push(reason.clone());
        }
        if let Some(failure) = &self.failure {
            if let Some(sent) = &failure.sent {
                lines.push(format!("sent:     {sent}"));
            }
            lines.push(format!("expected: {}", failure.expected));
            if let Some(got) = &failure.got {
                lines.push(format!("got:      {}", got.replace('\n', "\n          ")));
            }
        }
        if matches!(self.status, Status::Fail | Status::Error) {
            lines.push(format!("hint:     {}", self.hint));
            lines.push(format!("read:     {}", book_link(self.book)));
        }
        lines.join("\n")
    }
}

/// Where a book section is, from the kit's root.
pub fn book_link(section: &str) -> String {
    format!("book/src/{section}")
}

#[derive(Debug)]
pub struct Report {
    pub step: &'static str,
    pub title: &'static str,
    pub target: String,
    pub results: Vec<CheckResult>,
    /// The end of what the server printed.
    pub log: String,
    /// Things that happened on the way (a restart after a crash).
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(step: &Step, target: &Target) -> Self {
        Self {
            step: step.id,
            title: step.title,
            target: target.describe(step),
            results: Vec::new(),
            log: String::new(),
            notes: Vec::new(),
        }
    }

    pub fn score(&self) -> u32 {
        self.results.iter().map(CheckResult::points).sum()
    }

    pub fn max_score(&self) -> u32 {
        self.results.iter().map(|r| r.max_points).sum()
    }

    pub fn all_passed(&self) -> bool {
        self.results.iter().all(|r| r.status == Status::Pass)
    }

    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}
