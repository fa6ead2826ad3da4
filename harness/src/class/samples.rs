//! Made-up submissions of a step, for the benchmark and the tests: the
//! kinds of work a class hands in, from the finished to the hostile.
//!
//! Each is a folder holding `exercises/NN-name/` only, which is all a
//! submission contributes (see [`super::submission`]), made from the
//! instructor's kit and changed a little; `n` makes every copy different,
//! as no two students' work is the same byte for byte.

use std::{fs, io, path::Path};

use super::mirror;
use crate::steps::Step;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The reference solution, as the exercise: full marks.
    Correct,
    /// The exercise as shipped: compiles, fails what the step teaches.
    Broken,
    /// A type error.
    DoesNotCompile,
    /// A `main` that never listens, and leaves a child running.
    Hangs,
    /// A `main` that exits at once, after starting a process that leaves
    /// its process group and printing markup (which reports must escape).
    ExitsAtOnce,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Correct => "correct",
            Kind::Broken => "broken",
            Kind::DoesNotCompile => "does-not-compile",
            Kind::Hangs => "hangs",
            Kind::ExitsAtOnce => "exits-at-once",
        }
    }
}

/// Writes a submission of `kind` for `step` into `dir` (as
/// `dir/exercises/<folder>`). The misbehaving kinds start `sleep <marker>`
/// (a number of seconds, so also a name to look for in `/proc`).
pub fn write(
    kind: Kind,
    step: &Step,
    kit_root: &Path,
    dir: &Path,
    n: usize,
    marker: &str,
) -> io::Result<()> {
    let exercise = dir.join("exercises").join(step.folder);
    mirror::mirror(&step.exercise_dir(kit_root), &exercise)?;
    let lib = exercise.join("src/lib.rs");
    let main = exercise.join("src/main.rs");
    let distinct = format!("\n/// Student {n}'s own touch.\npub const STUDENT: usize = {n};\n");
    match kind {
        Kind::Correct => {
            solution_over(step, kit_root, &exercise)?;
            append(&lib, &distinct)
        }
        Kind::Broken => append(&lib, &distinct),
        Kind::DoesNotCompile => {
            append(&lib, &format!("{distinct}pub const PORT: u16 = \"5000\";\n"))
        }
        Kind::Hangs => fs::write(
            main,
            format!(
                "fn main() {{\n    // Never listens; leaves a child in its group.\n    \
                 let _child = std::process::Command::new(\"sleep\").arg(\"{marker}\").spawn();\n    \
                 let _ = {n};\n    \
                 loop {{\n        std::thread::sleep(std::time::Duration::from_secs(3600));\n    }}\n}}\n"
            ),
        ),
        Kind::ExitsAtOnce => fs::write(
            main,
            format!(
                "fn main() {{\n    // Starts a process outside its group, then exits.\n    \
                 let _ = std::process::Command::new(\"setsid\").args([\"sleep\", \"{marker}\"]).spawn();\n    \
                 std::thread::sleep(std::time::Duration::from_millis(200));\n    \
                 eprintln!(\"<script>alert({n})</script> student {n}: exiting at once\");\n    \
                 std::process::exit(3);\n}}\n"
            ),
        ),
    }
}

/// The solution's files over the exercise's, its crate's name changed to
/// the exercise's (as `dev sync` does), the exercise's Cargo.toml kept.
fn solution_over(step: &Step, kit_root: &Path, exercise: &Path) -> io::Result<()> {
    let solution_crate = step.solution_package().replace('-', "_");
    let exercise_crate = step.exercise_package().replace('-', "_");
    let solution = step.solution_dir(kit_root);
    for relative in crate::student::files_under(&solution)? {
        if relative == Path::new("Cargo.toml") {
            continue;
        }
        let mut bytes = fs::read(solution.join(&relative))?;
        if relative.extension().is_some_and(|e| e == "rs") {
            let text = String::from_utf8_lossy(&bytes).replace(&solution_crate, &exercise_crate);
            bytes = text.into_bytes();
        }
        let path = exercise.join(&relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, bytes)?;
    }
    Ok(())
}

fn append(path: &Path, text: &str) -> io::Result<()> {
    let mut contents = fs::read_to_string(path)?;
    contents.push_str(text);
    fs::write(path, contents)
}
