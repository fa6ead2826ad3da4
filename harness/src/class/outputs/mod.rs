//! The files a class run writes, each in the format of the tool that reads
//! it. Every function here renders text from results and does nothing
//! else; [`write_student`] and [`write_class`] put the texts in files.
//!
//! ```text
//! <out>/gradebook.csv                    one row per student, one column per check
//! <out>/results/<student>.json           the contract's JSON of each step, and the verdicts
//! <out>/gradescope/<student>/results.json  Gradescope's autograder format
//! <out>/junit.xml                        one testsuite per student and step
//! <out>/report.html                      heat map, the checks most failed, every failure
//! ```

pub mod csv;
pub mod gradescope;
pub mod html;
pub mod json;
pub mod junit;

use std::{
    fs, io,
    path::{Path, PathBuf},
};

use super::{ClassResults, StudentResults};

/// `results/<student>.json` and `gradescope/<student>/results.json`,
/// written as soon as a student's steps are all graded.
pub fn write_student(out: &Path, student: &StudentResults) -> io::Result<()> {
    let name = &student.submission.file_name;
    let results = out.join("results");
    fs::create_dir_all(&results)?;
    write_json(&results.join(format!("{name}.json")), &json::student(student))?;
    let gradescope = out.join("gradescope").join(name);
    fs::create_dir_all(&gradescope)?;
    write_json(&gradescope.join("results.json"), &gradescope::results(student))
}

/// Every student's files again, and the class's: the gradebook, JUnit XML
/// and the HTML report. Returns the class's files.
pub fn write_class(out: &Path, class: &ClassResults) -> io::Result<Vec<PathBuf>> {
    for student in &class.students {
        write_student(out, student)?;
    }
    let files = [
        ("gradebook.csv", csv::gradebook(class)),
        ("junit.xml", junit::render(class)),
        ("report.html", html::render(class)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = out.join(name);
        fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

fn write_json(path: &Path, value: &serde_json::Value) -> io::Result<()> {
    fs::write(path, format!("{value:#}\n"))
}
