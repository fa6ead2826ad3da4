//! The verdict of a grading run, and its two faces: for a person
//! ([`human`]) and for a program ([`json`], the contract's format).

pub mod human;
pub mod json;

use std::fmt;

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
            match failure.got.as_deref().map(|got| (got, Unwritten::find(got))) {
                Some((_, Some(unwritten))) => lines.push(format!("got:      {unwritten}")),
                Some((got, None)) => {
                    lines.push(format!("got:      {}", got.replace('\n', "\n          ")))
                }
                None => {}
            }
        }
        if matches!(self.status, Status::Fail | Status::Error) {
            lines.push(format!("hint:     {}", self.hint));
            lines.push(format!("read:     {}", book_link(self.book)));
        }
        lines.join("\n")
    }
}

/// A reply from a handler that reached a `todo!()`: the kit answers
/// `500 This part is not written yet: <file:line>: not yet implemented: ...`
/// (kit/src/unfinished.rs), which the report says plainly instead of
/// showing the raw reply.
#[derive(Debug, PartialEq, Eq)]
pub struct Unwritten {
    /// `exercises/01-hardcoded/src/users.rs:74`
    pub place: String,
    /// The `todo!` message: `check the username and password`.
    pub what: String,
}

/// What the body says before the place.
const UNWRITTEN: &str = "This part is not written yet: ";

impl Unwritten {
    pub fn find(got: &str) -> Option<Unwritten> {
        let rest = &got[got.find(UNWRITTEN)? + UNWRITTEN.len()..];
        let line = rest.lines().next().unwrap_or_default().trim();
        let (place, what) = match line.split_once(": not yet implemented") {
            Some((place, what)) => (place, what.trim_start_matches(':').trim()),
            None => (line, ""),
        };
        Some(Unwritten { place: place.to_owned(), what: what.to_owned() })
    }
}

impl std::fmt::Display for Unwritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "this part is not written yet: {}", self.place)?;
        if !self.what.is_empty() {
            write!(f, " (todo!: {})", self.what)?;
        }
        Ok(())
    }
}

/// Where a book section is, from the kit's root.
pub fn book_link(section: &str) -> String {
    format!("book/src/{section}")
}

/// A step's points apart: its own checks (`s03.*` for step 03) and the
/// ones carried over from earlier steps, each as (scored, possible).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub own: (u32, u32),
    pub earlier: (u32, u32),
}

impl Split {
    /// The split of `checks`, each (id, points scored, points possible).
    pub fn of<'a>(step: &str, checks: impl IntoIterator<Item = (&'a str, u32, u32)>) -> Self {
        let mut split = Self::default();
        for (id, points, max) in checks {
            let part = if is_own(step, id) { &mut split.own } else { &mut split.earlier };
            part.0 += points;
            part.1 += max;
        }
        split
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "this step {}/{}", self.own.0, self.own.1)?;
        if self.earlier.1 > 0 {
            write!(f, ", earlier steps {}/{}", self.earlier.0, self.earlier.1)?;
        }
        Ok(())
    }
}

/// Whether check `id` belongs to step `step` itself: `s03.renewal` to 03.
pub fn is_own(step: &str, id: &str) -> bool {
    id.strip_prefix('s')
        .and_then(|rest| rest.strip_prefix(step))
        .is_some_and(|rest| rest.starts_with('.'))
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

    pub fn split(&self) -> Split {
        Split::of(self.step, self.results.iter().map(|r| (r.id, r.points(), r.max_points)))
    }

    pub fn all_passed(&self) -> bool {
        self.results.iter().all(|r| r.status == Status::Pass)
    }

    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

#[cfg(test)]
mod tests {
    use super::{Split, Unwritten, is_own};

    #[test]
    fn own_checks_are_told_apart_from_carried_over_ones() {
        assert!(is_own("03", "s03.renewal"));
        assert!(!is_own("03", "s01.login-success"));
        assert!(!is_own("0", "s03.renewal"));
        let split = Split::of("03", [("s01.a", 2, 2), ("s03.b", 0, 5), ("s03.c", 3, 3)]);
        assert_eq!(split, Split { own: (3, 8), earlier: (2, 2) });
        assert_eq!(split.to_string(), "this step 3/8, earlier steps 2/2");
        assert_eq!(Split::of("01", [("s01.a", 1, 2)]).to_string(), "this step 1/2");
    }

    #[test]
    fn a_todo_reply_is_said_plainly() {
        let got = "500 Internal Server Error\ncontent-type: text/plain; charset=utf-8\n\
                   body: This part is not written yet: exercises/01-hardcoded/src/users.rs:74: not yet implemented: check the username and password";
        let unwritten = Unwritten::find(got).unwrap();
        assert_eq!(unwritten.place, "exercises/01-hardcoded/src/users.rs:74");
        assert_eq!(
            unwritten.to_string(),
            "this part is not written yet: exercises/01-hardcoded/src/users.rs:74 (todo!: check the username and password)"
        );
        let bare =
            Unwritten::find("body: This part is not written yet: src/a.rs:3: not yet implemented")
                .unwrap();
        assert_eq!(bare.to_string(), "this part is not written yet: src/a.rs:3");
        assert!(
            Unwritten::find(
                "500 Internal Server Error\nbody: The server panicked at src/a.rs:3: boom"
            )
            .is_none()
        );
    }
}
