//! `gradebook.csv`: one row per student, one column per check with the
//! points it scored, then each step's score and the total.
//!
//! ```text
//! student,verdict,s01.starts,s01.login-form,...,step 01,total
//! (points possible),,1,2,...,32,32
//! Ada,full-marks,1,2,...,32,32
//! ```
//!
//! The second row gives each column's maximum, as Canvas's gradebook
//! export does. `verdict` is one word per step (`01:full-marks` when
//! several steps were graded). Fields are quoted as RFC 4180 says; a field
//! a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first) gets a
//! `'` in front, since student names and folders are not ours to trust.

use crate::class::{ClassResults, StudentResults};

pub fn gradebook(class: &ClassResults) -> String {
    let checks: Vec<(&str, u32)> = class
        .steps
        .iter()
        .flat_map(|step| (step.checks)().into_iter().map(|c| (c.id, c.points)))
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["student".to_owned(), "verdict".to_owned()];
    header.extend(checks.iter().map(|(id, _)| id.to_string()));
    header.extend(class.steps.iter().map(|s| format!("step {}", s.id)));
    header.push("total".into());
    rows.push(header);

    let mut possible = vec!["(points possible)".to_owned(), String::new()];
    possible.extend(checks.iter().map(|(_, points)| points.to_string()));
    possible.extend(class.steps.iter().map(|s| s.max_score().to_string()));
    possible.push(class.steps.iter().map(|s| s.max_score()).sum::<u32>().to_string());
    rows.push(possible);

    for student in &class.students {
        rows.push(row(class, student, &checks));
    }
    rows.iter().map(|row| line(row)).collect()
}

fn row(class: &ClassResults, student: &StudentResults, checks: &[(&str, u32)]) -> Vec<String> {
    let verdict = match student.outcomes.as_slice() {
        [only] if class.steps.len() == 1 => only.verdict.id().to_owned(),
        outcomes => outcomes
            .iter()
            .map(|o| format!("{}:{}", o.step.id, o.verdict.id()))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut row = vec![student.submission.name.clone(), verdict];
    let results = student.outcomes.iter().flat_map(|o| &o.report.results);
    let points = |id: &str| results.clone().find(|r| r.id == id).map_or(0, |r| r.points());
    row.extend(checks.iter().map(|(id, _)| points(id).to_string()));
    for step in &class.steps {
        let score = student.outcomes.iter().find(|o| o.step.id == step.id);
        row.push(score.map_or(0, |o| o.report.score()).to_string());
    }
    row.push(student.score().to_string());
    row
}

/// A record, ended with CRLF as RFC 4180 has it.
fn line(fields: &[String]) -> String {
    let fields: Vec<String> = fields.iter().map(|f| field(f)).collect();
    format!("{}\r\n", fields.join(","))
}

/// One field, defused and quoted when it needs to be.
pub fn field(text: &str) -> String {
    let mut text = text.to_owned();
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        text.insert(0, '\'');
    }
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("Doe, Jane"), "\"Doe, Jane\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }
}
