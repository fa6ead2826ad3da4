//! Building and grading the student's exercise, with the two timed apart:
//! what the watch loop runs at every save, and what `dev bench` measures.
//!
//! The build is done here, not by the runner, so that a crate that does
//! not compile is told as such (which step, which file) instead of as a
//! report of failed checks, and so that the build's time is known.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use crate::{
    compile::{self, BuildFailure},
    report::Report,
    runner::{self, Options},
    steps::Step,
    target::Target,
};

#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// cargo, from start to binary or error.
    pub build: Duration,
    /// Everything else: start the server, run the checks, stop it.
    pub grading: Duration,
}

pub enum Verdict {
    DoesNotCompile(BuildFailure),
    Graded(Report),
}

/// Builds the crate in `dir` (the step's exercise unless told otherwise)
/// and, when it compiles, grades it. With `echo`, cargo's progress and
/// messages reach stderr as cargo prints them.
pub async fn build_and_grade(
    step: &Step,
    dir: &Path,
    options: &Options,
    echo: bool,
) -> (Verdict, Timings) {
    let started = Instant::now();
    let built = build(dir, echo).await;
    let build = started.elapsed();
    let binary = match built {
        Ok(binary) => binary,
        Err(failure) => {
            return (Verdict::DoesNotCompile(failure), Timings { build, grading: Duration::ZERO });
        }
    };
    let started = Instant::now();
    let report = grade_built(step, &binary, dir, options).await;
    (Verdict::Graded(report), Timings { build, grading: started.elapsed() })
}

/// `cargo build` of the crate in `dir`.
pub async fn build(dir: &Path, echo: bool) -> Result<PathBuf, BuildFailure> {
    let manifest = dir.join("Cargo.toml").canonicalize().map_err(|e| BuildFailure {
        summary: format!("there is no crate at {}: {e}", dir.display()),
        diagnostics: String::new(),
    })?;
    compile::build(&manifest, echo).await
}

/// Grades a binary already built from the crate in `dir`, without asking
/// cargo again.
pub async fn grade_built(step: &Step, binary: &Path, dir: &Path, options: &Options) -> Report {
    let target =
        Target::Cmd(format!("exec {}", crate::text::shell_quote(&binary.display().to_string())));
    let mut report = runner::grade(step, &target, options).await;
    report.target = describe_dir(step, dir);
    report
}

/// `exercises/01-hardcoded` for the step's own folders, else the path.
fn describe_dir(step: &Step, dir: &Path) -> String {
    let root = crate::kit_root::kit_root();
    if dir == step.exercise_dir(&root) {
        Target::Exercise.describe(step)
    } else if dir == step.solution_dir(&root) {
        Target::Solution.describe(step)
    } else {
        dir.display().to_string()
    }
}

/// Where the first error is, as cargo points at it: `src/users.rs:74:9`
/// from the first `--> ` line of the first error.
pub fn first_error_place(diagnostics: &str) -> Option<&str> {
    let mut lines = diagnostics.lines();
    lines.find(|line| line.starts_with("error"))?;
    lines.find_map(|line| line.trim_start().strip_prefix("--> ")).map(str::trim)
}

/// The harness's words over cargo's: which step, which file.
pub fn compile_headline(step: &Step, failure: &BuildFailure) -> String {
    let mut out = format!("Step {} ({}) does not compile.", step.id, step.folder);
    match first_error_place(&failure.diagnostics) {
        Some(place) => out.push_str(&format!(
            "\nThe first error is at {place}: start there, the errors after it often follow from it."
        )),
        None => out.push_str(&format!("\n{}", failure.summary)),
    }
    out
}

/// What the runner expects of a build that failed (runner.rs).
const BUILD_EXPECTED: &str = "the server to compile";

/// The same words over a report whose build failed (`check`, where the
/// runner built the crate and cargo's messages are already on screen).
pub fn headline_of(step: &Step, report: &Report) -> Option<String> {
    let failure = report.results.iter().find_map(|r| r.failure.as_ref())?;
    if failure.expected != BUILD_EXPECTED {
        return None;
    }
    let got = failure.got.as_deref().unwrap_or_default();
    let (summary, diagnostics) = got.split_once('\n').unwrap_or((got, ""));
    let failure = BuildFailure { summary: summary.to_owned(), diagnostics: diagnostics.to_owned() };
    Some(compile_headline(step, &failure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_error_is_found_past_warnings() {
        let diagnostics = "warning: unused import: `x`\n --> exercises/01-hardcoded/src/lib.rs:3:5\n  |\n\
                           error[E0425]: cannot find value `user` in this scope\n  --> exercises/01-hardcoded/src/users.rs:74:9\n   |\n\
                           error: aborting\n  --> src/other.rs:1:1\n";
        assert_eq!(
            first_error_place(diagnostics),
            Some("exercises/01-hardcoded/src/users.rs:74:9")
        );
        assert_eq!(first_error_place("warning: x\n --> a.rs:1:1\n"), None);
    }
}
