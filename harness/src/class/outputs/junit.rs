//! `junit.xml`: one `<testsuite>` per student and step, one `<testcase>`
//! per check, `<failure>`/`<error>`/`<skipped>` with the check's message,
//! and the server's last lines in `<system-out>`: what CI systems and test
//! dashboards read.
//!
//! Everything a student's server printed goes through [`text`], which
//! escapes XML's five characters and replaces the control characters XML
//! 1.0 cannot hold at all.

use std::fmt::Write as _;

use crate::{
    class::{ClassResults, Outcome},
    report::Status,
    student::clock,
};

pub fn render(class: &ClassResults) -> String {
    let outcomes = || class.students.iter().flat_map(|s| s.outcomes.iter().map(move |o| (s, o)));
    let count = |status: Status| outcomes().map(|(_, o)| o.report.count(status)).sum::<usize>();
    let tests: usize = outcomes().map(|(_, o)| o.report.results.len()).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    writeln!(
        xml,
        "<testsuites name=\"authlings\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        count(Status::Fail),
        count(Status::Error),
        count(Status::Skip),
        class.took.as_secs_f64()
    )
    .unwrap();
    for (student, outcome) in outcomes() {
        suite(&mut xml, &student.submission.name, outcome, class.started);
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn suite(xml: &mut String, student: &str, outcome: &Outcome, started: u64) {
    let report = &outcome.report;
    writeln!(
        xml,
        "  <testsuite name=\"{} / step {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\" timestamp=\"{}\">",
        attribute(student),
        report.step,
        report.results.len(),
        report.count(Status::Fail),
        report.count(Status::Error),
        report.count(Status::Skip),
        (outcome.build_time + outcome.grading_time).as_secs_f64(),
        clock::rfc3339(started).trim_end_matches('Z'),
    )
    .unwrap();
    xml.push_str("    <properties>\n");
    for (name, value) in [
        ("verdict", outcome.verdict.id().to_owned()),
        ("detail", outcome.detail.clone()),
        ("score", report.score().to_string()),
        ("max_score", report.max_score().to_string()),
        ("submission", report.target.clone()),
    ] {
        writeln!(xml, "      <property name=\"{name}\" value=\"{}\"/>", attribute(&value)).unwrap();
    }
    xml.push_str("    </properties>\n");
    let class_name = format!("{student}.s{}", report.step);
    for result in &report.results {
        write!(
            xml,
            "    <testcase classname=\"{}\" name=\"{}\"",
            attribute(&class_name),
            attribute(&format!("{}: {}", result.id, result.title))
        )
        .unwrap();
        let message = result.message();
        let first = message.lines().next().unwrap_or_default();
        let (tag, kind) = match result.status {
            Status::Pass => {
                xml.push_str("/>\n");
                continue;
            }
            Status::Fail => ("failure", "fail"),
            Status::Error => ("error", "error"),
            Status::Skip => {
                writeln!(
                    xml,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    attribute(first)
                )
                .unwrap();
                continue;
            }
        };
        writeln!(
            xml,
            ">\n      <{tag} type=\"{kind}\" message=\"{}\">{}</{tag}>\n    </testcase>",
            attribute(first),
            text(&message)
        )
        .unwrap();
    }
    let mut out = report.notes.iter().map(|n| format!("note: {n}\n")).collect::<String>();
    out.push_str(&report.log);
    if !out.trim().is_empty() {
        writeln!(xml, "    <system-out>{}</system-out>", text(&out)).unwrap();
    }
    xml.push_str("  </testsuite>\n");
}

/// Text fit for an attribute's value: line breaks kept as references,
/// which a parser would otherwise turn into spaces.
pub fn attribute(raw: &str) -> String {
    text(raw).replace('\n', "&#10;").replace('\t', "&#9;").replace('\r', "&#13;")
}

/// Text fit for an element's content.
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            // XML 1.0 allows no other control character, not even escaped.
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                write!(out, "\\u{{{:x}}}", c as u32).unwrap()
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{attribute, text};

    #[test]
    fn markup_and_control_characters_are_made_safe() {
        assert_eq!(
            text("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(text("\x1b[31mred\x00"), "\\u{1b}[31mred\\u{0}");
        assert_eq!(text("a\nb"), "a\nb");
        assert_eq!(attribute("a\nb"), "a&#10;b");
    }
}
