//! The report for a person: a line a check, the details under each failure,
//! the server's last words when something failed, the score last.

use std::fmt::Write as _;

use super::{Report, Status};

pub struct Style {
    pub colour: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        crate::text::paint(self.colour, code, text)
    }
}

pub fn render(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    let width = report.results.iter().map(|r| r.id.len()).max().unwrap_or(0);
    // A profile's report (`check --profile`) is not a step's.
    let is_step = crate::steps::find(report.step).is_some();
    let what = if is_step { "Step" } else { "Profile" };
    writeln!(out, "{what} {}: {} ({})", report.step, report.title, report.target).unwrap();
    for result in &report.results {
        let (mark, code) = match result.status {
            Status::Pass => ("PASS", "32"),
            Status::Fail => ("FAIL", "31"),
            Status::Skip => ("SKIP", "33"),
            Status::Error => ("ERROR", "35"),
        };
        let points = format!("{}/{}", result.points(), result.max_points);
        writeln!(
            out,
            "  {} {:<width$}  {:>5}  {}",
            // Padded before painting: the colour codes have no width.
            style.paint(code, &format!("{mark:<5}")),
            result.id,
            points,
            result.title
        )
        .unwrap();
        if result.status != Status::Pass {
            for line in result.message().lines() {
                // A `todo!()` reached: the line that says where stands out.
                let line = match line.strip_prefix("got:      this part is not written yet") {
                    Some(rest) => {
                        format!(
                            "got:      {}",
                            style.paint("1;33", &format!("this part is not written yet{rest}"))
                        )
                    }
                    None => line.to_owned(),
                };
                writeln!(out, "          {line}").unwrap();
            }
        }
    }
    for note in &report.notes {
        writeln!(out, "note: {note}").unwrap();
    }
    if !report.all_passed() && !report.log.trim().is_empty() {
        writeln!(out, "\nThe last lines your server printed:").unwrap();
        for line in report.log.lines() {
            writeln!(out, "  | {line}").unwrap();
        }
    }
    let split = report.split();
    let mut score = format!("Score: {}/{}", report.score(), report.max_score());
    // Only a kit step carries checks over from earlier steps.
    if is_step && split.earlier.1 > 0 {
        score.push_str(&format!(" ({split})"));
    }
    writeln!(
        out,
        "\n{}  ({} passed, {} failed, {} skipped, {} errors)",
        style.paint("1", &score),
        report.count(Status::Pass),
        report.count(Status::Fail),
        report.count(Status::Skip),
        report.count(Status::Error),
    )
    .unwrap();
    out
}
