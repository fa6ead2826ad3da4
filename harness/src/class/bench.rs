//! `authlings dev bench-grade`: a made-up class graded the way `grade`
//! does it (one build cache), against each submission built on its own
//! (a copy of the kit and a target folder of its own, as graders that start
//! every submission in a fresh machine do). A benchmark to run and read,
//! not a timed test.
//!
//! The class: `copies` folders made by [`samples`], one that does not
//! compile, one that hangs, one that exits at once, and the rest correct
//! and broken in turn. Graded three ways: with a new, empty cache (the
//! first grading of a term), with that cache again (every later one), and,
//! for the last `separate` submissions only (correct and broken ones), each
//! with a cache of its own; that time is multiplied out to the whole class,
//! and the table says so.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use super::{
    ClassResults, Verdict,
    build_cache::BuildCache,
    command::grade_into,
    progress::Progress,
    roster,
    samples::{self, Kind},
    schedule::Plan,
};
use crate::steps::Step;

pub struct BenchArgs {
    /// Where the class, the caches and the results go, kept; by default a
    /// temporary folder, removed at the end.
    pub work: Option<PathBuf>,
    pub copies: usize,
    pub separate: usize,
    pub jobs: usize,
    pub timeout: Duration,
}

pub async fn run(kit_root: &Path, step: &'static Step, args: BenchArgs) -> ExitCode {
    match bench(kit_root, step, &args).await {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The kinds of a class of `copies`, in order.
pub fn class_kinds(copies: usize) -> Vec<Kind> {
    let odd = [Kind::DoesNotCompile, Kind::Hangs, Kind::ExitsAtOnce];
    (0..copies)
        .map(|i| match odd.get(i) {
            Some(&kind) => kind,
            None if i % 2 == 1 => Kind::Correct,
            None => Kind::Broken,
        })
        .collect()
}

/// The verdict a submission of `kind` must get.
pub fn expected(kind: Kind) -> &'static [Verdict] {
    match kind {
        Kind::Correct => &[Verdict::FullMarks],
        Kind::Broken => &[Verdict::ChecksFailed],
        Kind::DoesNotCompile => &[Verdict::DoesNotCompile],
        // Told as "did not start" when the readiness wait gives up first.
        Kind::Hangs => &[Verdict::DidNotStart, Verdict::TimedOut],
        Kind::ExitsAtOnce => &[Verdict::DidNotStart],
    }
}

async fn bench(kit_root: &Path, step: &'static Step, args: &BenchArgs) -> Result<String, String> {
    let say = |e: std::io::Error| e.to_string();
    let temporary =
        tempfile::Builder::new().prefix("authlings-bench-grade-").tempdir().map_err(say)?;
    let work = args.work.as_deref().unwrap_or(temporary.path());
    std::fs::create_dir_all(work).map_err(say)?;
    let kinds = class_kinds(args.copies);
    let mut folders = Vec::new();
    for (i, &kind) in kinds.iter().enumerate() {
        let dir = work.join("class").join(format!("student-{:02}-{}", i + 1, kind.name()));
        samples::write(kind, step, kit_root, &dir, i + 1, &format!("1000{i:02}.7")).map_err(say)?;
        folders.push(dir);
    }
    let plan = |folders: &[PathBuf]| Plan {
        steps: vec![step],
        submissions: roster::from_folders(folders),
        jobs: args.jobs,
        timeout: args.timeout,
        kit_root: kit_root.to_path_buf(),
    };
    let shared_cache = work.join("cache");
    let mut rows = Vec::new();
    for (label, cache_dir) in
        [("shared cache, empty at start", &shared_cache), ("shared cache, warm", &shared_cache)]
    {
        eprintln!("{} submissions, {label}...", folders.len());
        let started = Instant::now();
        let cache = BuildCache::open(cache_dir, kit_root).await?;
        let out = work.join(format!("out-{}", rows.len()));
        let class = grade_into(&plan(&folders), &cache, &out, Progress::new(folders.len()))
            .await
            .map_err(say)?;
        rows.push(Row::measured(label, started.elapsed(), &class, &kinds));
    }
    let separate = args.separate.min(folders.len());
    if separate > 0 {
        eprintln!("{separate} submissions, each with a cache of its own...");
        let started = Instant::now();
        let mut all_right = 0;
        // The last ones: correct and broken, the usual submissions.
        let first = folders.len() - separate;
        for (i, folder) in folders.iter().enumerate().skip(first) {
            let cache = BuildCache::open(&work.join(format!("own-{i}")), kit_root).await?;
            let out = work.join(format!("own-out-{i}"));
            let class =
                grade_into(&plan(std::slice::from_ref(folder)), &cache, &out, Progress::new(1))
                    .await
                    .map_err(say)?;
            all_right += Row::right(&class, &kinds[i..=i]);
        }
        let took = started.elapsed();
        rows.push(Row {
            label: format!(
                "each on its own ({separate} measured, times {:.1})",
                folders.len() as f64 / separate as f64
            ),
            took: took.mul_f64(folders.len() as f64 / separate as f64),
            right: format!("{all_right}/{separate}"),
            per_submission: took / separate as u32,
        });
    }
    Ok(table(step, folders.len(), args, &rows))
}

struct Row {
    label: String,
    took: Duration,
    right: String,
    per_submission: Duration,
}

impl Row {
    fn measured(label: &str, took: Duration, class: &ClassResults, kinds: &[Kind]) -> Row {
        Row {
            label: label.to_owned(),
            took,
            right: format!("{}/{}", Row::right(class, kinds), kinds.len()),
            per_submission: took / kinds.len().max(1) as u32,
        }
    }

    /// How many submissions got the verdict their kind calls for.
    fn right(class: &ClassResults, kinds: &[Kind]) -> usize {
        class
            .students
            .iter()
            .zip(kinds)
            .filter(|(student, kind)| {
                student.outcomes.iter().all(|o| expected(**kind).contains(&o.verdict))
            })
            .count()
    }
}

fn table(step: &Step, copies: usize, args: &BenchArgs, rows: &[Row]) -> String {
    let mut out = format!(
        "\n{copies} submissions of step {} ({} gradings at a time, --timeout {} s, {} cores):\n\n\
         | how | wall time | per submission | right verdicts |\n|---|---|---|---|\n",
        step.id,
        args.jobs,
        args.timeout.as_secs(),
        super::command::default_jobs()
    );
    for row in rows {
        writeln!(
            out,
            "| {} | {:.0} s | {:.1} s | {} |",
            row.label,
            row.took.as_secs_f64(),
            row.per_submission.as_secs_f64(),
            row.right
        )
        .unwrap();
    }
    out
}
