//! `authlings dev bench`: how long the student's loop takes from a save to
//! the verdict, for each step, split into noticing the save, building and
//! grading. A benchmark to run and read, not a timed test.
//!
//! Each run appends one line of code to the exercise's `src/lib.rs` (a new
//! line each time, so each run rebuilds the crate as a student's edit
//! would), waits for the watcher to report the save, then builds and
//! grades as the watch loop does. The file is put back byte for byte at
//! the end; a line left by an interrupted run is removed at the next one.
//! The solution is graded too, untimed build, to show the grading time
//! when every check runs rather than only those the exercise reaches.

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use super::{
    files::{MISSED_AFTER, Watcher},
    grade::{self, Verdict},
};
use crate::{runner::Options, steps::Step};

const MARK: &str = "// authlings dev bench: a one-line change, safe to delete";

/// One step's figures, medians over the runs.
pub struct Row {
    pub step: &'static str,
    pub seen: Duration,
    pub build: Duration,
    pub grading: Duration,
    pub score: String,
    pub solution_grading: Option<Duration>,
    pub solution_score: String,
}

impl Row {
    pub fn total(&self) -> Duration {
        self.seen + self.build + self.grading
    }
}

pub async fn run(kit_root: &Path, steps: &[&'static Step], runs: usize) -> ExitCode {
    let runs = runs.max(1);
    let mut rows = Vec::new();
    for step in steps {
        eprintln!("step {}: {runs} run(s)...", step.id);
        match bench_step(step, kit_root, runs).await {
            Ok(row) => rows.push(row),
            Err(error) => {
                eprintln!("error: step {}: {error}", step.id);
                return ExitCode::FAILURE;
            }
        }
    }
    print!("{}", table(&rows, runs));
    ExitCode::SUCCESS
}

async fn bench_step(step: &'static Step, kit_root: &Path, runs: usize) -> Result<Row, String> {
    let quiet = Options { echo_build: false, ..Options::default() };
    let dir = step.exercise_dir(kit_root);
    let file = dir.join("src/lib.rs");
    let mut edit = Edit::open(&file)?;
    // Built once untimed, so that each run rebuilds only the step's crate.
    grade::build(&dir, false).await.map_err(|f| format!("{}\n{}", f.summary, f.diagnostics))?;
    let mut watcher =
        Watcher::start(&dir).map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    let (mut seen, mut build, mut grading, mut score) =
        (Vec::new(), Vec::new(), Vec::new(), String::new());
    for run in 1..=runs {
        edit.change(run)?;
        let saved = Instant::now();
        tokio::time::timeout(MISSED_AFTER * 2, watcher.next())
            .await
            .map_err(|_| "the watcher did not report the change".to_owned())?;
        seen.push(saved.elapsed());
        let (verdict, timings) = grade::build_and_grade(step, &dir, &quiet, false).await;
        match verdict {
            Verdict::Graded(report) => score = format!("{}/{}", report.score(), report.max_score()),
            Verdict::DoesNotCompile(failure) => {
                return Err(format!(
                    "the changed exercise does not compile:\n{}",
                    failure.diagnostics
                ));
            }
        }
        build.push(timings.build);
        grading.push(timings.grading);
    }
    drop(watcher);
    edit.restore()?;

    let solution = step.solution_dir(kit_root);
    let (solution_grading, solution_score) = match grade::build(&solution, false).await {
        Ok(binary) => {
            let started = Instant::now();
            let report = grade::grade_built(step, &binary, &solution, &quiet).await;
            (Some(started.elapsed()), format!("{}/{}", report.score(), report.max_score()))
        }
        Err(_) => (None, "does not compile".into()),
    };
    Ok(Row {
        step: step.id,
        seen: median(&mut seen),
        build: median(&mut build),
        grading: median(&mut grading),
        score,
        solution_grading,
        solution_score,
    })
}

/// The figures as a Markdown table, with what each column means.
pub fn table(rows: &[Row], runs: usize) -> String {
    let mut out = format!(
        "\nSave to verdict, median of {runs} run(s) a step (a one-line change to src/lib.rs each run):\n\n\
         | step | save seen | build | grading | save to verdict | exercise score | grading, every check (solution) |\n\
         |---|---|---|---|---|---|---|\n"
    );
    for row in rows {
        let solution = match row.solution_grading {
            Some(time) => format!("{} ({})", secs(time), row.solution_score),
            None => row.solution_score.clone(),
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {solution} |",
            row.step,
            secs(row.seen),
            secs(row.build),
            secs(row.grading),
            secs(row.total()),
            row.score
        )
        .unwrap();
    }
    out.push_str(
        "\nsave seen: from the write to the watcher's report, 300 ms of debounce included; \
         build: cargo, an incremental rebuild of the step's crate; \
         grading: start the server, run the checks, stop it.\n",
    );
    out
}

fn secs(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// The one file the benchmark changes, and what it held before.
struct Edit {
    path: PathBuf,
    original: Vec<u8>,
    restored: bool,
}

impl Edit {
    /// Opens `path`, first removing a line an interrupted run left in it.
    fn open(path: &Path) -> Result<Edit, String> {
        let text =
            fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut clean = text.clone();
        if text.contains(MARK) {
            clean = text
                .lines()
                .filter(|line| !line.contains(MARK))
                .map(|line| format!("{line}\n"))
                .collect();
            eprintln!("{}: removed a line an interrupted benchmark left", path.display());
            fs::write(path, &clean).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(Edit { path: path.to_owned(), original: clean.into_bytes(), restored: false })
    }

    /// The original with one more line, different at each run.
    fn change(&mut self, run: usize) -> Result<(), String> {
        let mut text = self.original.clone();
        text.extend_from_slice(format!("const _: usize = {run}; {MARK}\n").as_bytes());
        self.restored = false;
        fs::write(&self.path, text)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }

    fn restore(&mut self) -> Result<(), String> {
        self.restored = true;
        fs::write(&self.path, &self.original)
            .map_err(|e| format!("cannot restore {}: {e}", self.path.display()))
    }
}

impl Drop for Edit {
    fn drop(&mut self) {
        if !self.restored {
            let _ = fs::write(&self.path, &self.original);
        }
    }
}
