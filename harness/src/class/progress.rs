//! The progress of a class run on stderr: a bar with counts when stderr is
//! a terminal, and a line per graded submission either way (so a log of a
//! run without a terminal still says what happened).

use std::{collections::BTreeMap, io::IsTerminal, time::Duration};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Outcome, Submission, Verdict};

pub struct Progress {
    bar: ProgressBar,
    counts: BTreeMap<Verdict, usize>,
    building: String,
    /// A line per graded submission.
    lines: bool,
}

impl Progress {
    /// A bar for `total` gradings, drawn only when stderr is a terminal.
    pub fn new(total: usize) -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress::with_target(total, target, true)
    }

    /// A progress that shows nothing at all.
    pub fn hidden() -> Progress {
        Progress::with_target(0, ProgressDrawTarget::hidden(), false)
    }

    fn with_target(total: usize, target: ProgressDrawTarget, lines: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} graded  {msg}",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        if !bar.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        Progress { bar, counts: BTreeMap::new(), building: String::new(), lines }
    }

    /// The build under way, or none.
    pub fn building(&mut self, what: Option<String>) {
        self.building = what.map(|w| format!("building {w}")).unwrap_or_default();
        self.refresh();
    }

    pub fn graded(&mut self, submission: &Submission, outcome: &Outcome) {
        *self.counts.entry(outcome.verdict).or_default() += 1;
        self.bar.inc(1);
        self.refresh();
        if self.lines {
            let line = format!(
                "{:<24} {}  {:>4}/{:<4} {}{}",
                submission.name,
                outcome.step.id,
                outcome.report.score(),
                outcome.report.max_score(),
                outcome.verdict.words(),
                if outcome.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", outcome.detail)
                }
            );
            self.line(&line);
        }
    }

    /// A line above the bar (or on stderr, when there is no bar).
    pub fn line(&self, line: &str) {
        if self.bar.is_hidden() {
            if self.lines {
                eprintln!("{line}");
            }
        } else {
            self.bar.println(line);
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn refresh(&self) {
        let counts: Vec<String> =
            self.counts.iter().map(|(v, n)| format!("{n} {}", v.words())).collect();
        let mut message = counts.join(", ");
        if !self.building.is_empty() {
            if !message.is_empty() {
                message.push_str("  ·  ");
            }
            message.push_str(&self.building);
        }
        self.bar.set_message(message);
    }
}
