//! `authlings grade --profile NAME DIR...`: every submission of a class
//! graded against a profile, one after the other, into a gradebook
//! (`grades.csv`), the contract's JSON for each (`results.json`) and each
//! submission's report in words (`<name>.txt`).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use super::{ProfileOptions, grade};
use crate::report::{self, Report};

pub async fn command(
    kit_root: &Path,
    name: &str,
    submissions: &[PathBuf],
    out: &Path,
    options: &ProfileOptions,
) -> ExitCode {
    let profile = match super::load(kit_root, name) {
        Ok(profile) => profile,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if submissions.is_empty() {
        eprintln!("error: name the submissions' folders");
        return ExitCode::from(2);
    }
    if let Err(error) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot make {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let mut reports: Vec<(String, Report)> = Vec::new();
    for (i, submission) in submissions.iter().enumerate() {
        let student = student_name(submission);
        eprintln!("[{}/{}] {student}", i + 1, submissions.len());
        let report = grade(kit_root, &profile, submission, options).await;
        let style = report::human::Style { colour: false };
        let text = report::human::render(&report, &style);
        if let Err(error) = std::fs::write(out.join(format!("{student}.txt")), text) {
            eprintln!("warning: cannot write {student}.txt: {error}");
        }
        println!("{student}: {}/{}", report.score(), report.max_score());
        reports.push((student, report));
    }
    let gradebook = gradebook(&profile, &reports);
    let json: serde_json::Value = reports
        .iter()
        .map(|(student, report)| (student.clone(), report::json::render(report)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let written = std::fs::write(out.join("grades.csv"), gradebook)
        .and_then(|()| std::fs::write(out.join("results.json"), format!("{json:#}\n")));
    if let Err(error) = written {
        eprintln!("error: cannot write the results in {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    eprintln!("results in {}", out.display());
    ExitCode::SUCCESS
}

/// The folder's name: the student's.
fn student_name(submission: &Path) -> String {
    submission
        .canonicalize()
        .unwrap_or_else(|_| submission.to_path_buf())
        .file_name()
        .map_or_else(|| "submission".into(), |n| n.to_string_lossy().into_owned())
}

/// One line a student: score, maximum, then the points of every check.
fn gradebook(profile: &super::Profile, reports: &[(String, Report)]) -> String {
    let mut text = String::from("student,score,max");
    for entry in &profile.checks {
        text.push(',');
        text.push_str(&entry.id);
    }
    text.push('\n');
    for (student, report) in reports {
        text.push_str(&format!("{},{},{}", csv(student), report.score(), report.max_score()));
        for result in &report.results {
            text.push_str(&format!(",{}", result.points()));
        }
        text.push('\n');
    }
    text
}

fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}
