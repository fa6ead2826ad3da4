//! `authlings grade`: from the command line's words to a graded class and
//! its files.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use super::{
    ClassResults, Submission,
    build_cache::BuildCache,
    outputs,
    progress::Progress,
    roster,
    schedule::{self, Plan},
};
use crate::{
    steps::{self, STEPS, Step},
    student::clock,
};

/// What `authlings grade` was asked.
#[derive(clap::Args)]
pub struct GradeArgs {
    /// The step: 01, 1 or 01-hardcoded (left out with --all-steps or --profile).
    #[arg(required_unless_present_any = ["all_steps", "profile"])]
    pub step: Option<String>,
    /// Folders that each hold a student's copy of the kit (or only the
    /// step's exercise folder); the folder's name is the student's.
    #[arg(value_name = "SUBMISSION", conflicts_with = "roster")]
    pub submissions: Vec<PathBuf>,
    /// A roster instead: each student's name and folder, in CSV
    /// (`name,folder`) or TOML (`[[students]]`, by the .toml extension).
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Grade every step of the kit.
    #[arg(long)]
    pub all_steps: bool,
    /// Grade apps written for another course's assignment against its
    /// profile (book/src/profiles.md): itmo-wad-hw3, holberton-0x02,
    /// hha504-week7, or a profile's .toml file.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["all_steps", "roster"])]
    pub profile: Option<String>,
    /// Gradings at the same time (default: one per core).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Where the results go (default: grades/<date>-<time>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Time limit for one submission's build, and for its grading.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub timeout: u64,
    /// The shared build cache (default: target/authlings-class in this kit).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

pub async fn grade(kit_root: &Path, mut args: GradeArgs) -> ExitCode {
    if let Some(name) = args.profile.take() {
        // No step under --profile: the first folder lands where it would.
        if let Some(first) = args.step.take() {
            args.submissions.insert(0, PathBuf::from(first));
        }
        let out =
            args.out.unwrap_or_else(|| PathBuf::from("grades").join(clock::compact(clock::now())));
        let options = crate::profile::ProfileOptions {
            ready_within: Duration::from_secs(args.timeout),
            ..Default::default()
        };
        return crate::profile::class::command(kit_root, &name, &args.submissions, &out, &options)
            .await;
    }
    let steps: Vec<&'static Step> = if args.all_steps {
        // Under --all-steps, the first folder lands where the step would.
        if let Some(first) = args.step.take() {
            args.submissions.insert(0, PathBuf::from(first));
        }
        STEPS.iter().filter(|s| s.exercise_dir(kit_root).is_dir()).collect()
    } else {
        let name = args.step.as_deref().unwrap_or_default();
        match steps::find(name) {
            Some(step) => vec![step],
            None => return usage(&format!("there is no step {name:?}")),
        }
    };
    let submissions: Vec<Submission> = match &args.roster {
        Some(path) => match roster::from_file(path) {
            Ok(listed) => listed,
            Err(error) => return usage(&error),
        },
        None => roster::from_folders(&args.submissions),
    };
    if submissions.is_empty() {
        return usage("name the submissions' folders, or a roster with --roster FILE");
    }
    let out =
        args.out.unwrap_or_else(|| PathBuf::from("grades").join(clock::compact(clock::now())));
    if let Err(error) = std::fs::create_dir_all(&out) {
        eprintln!("error: cannot make {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let cache_dir = args.cache.unwrap_or_else(|| BuildCache::default_dir(kit_root));
    let cache = match BuildCache::open(&cache_dir, kit_root).await {
        Ok(cache) => cache,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let jobs = args.jobs.unwrap_or_else(default_jobs).max(1);
    let plan = Plan {
        steps,
        submissions,
        jobs,
        timeout: Duration::from_secs(args.timeout.max(1)),
        kit_root: kit_root.to_path_buf(),
    };
    let total = plan.submissions.len() * plan.steps.len();
    eprintln!(
        "grading {} submission(s) of step(s) {}, {jobs} at a time; build cache {}",
        plan.submissions.len(),
        plan.steps.iter().map(|s| s.id).collect::<Vec<_>>().join(", "),
        cache.dir().display()
    );
    match grade_into(&plan, &cache, &out, Progress::new(total)).await {
        Ok(class) => {
            print!("{}", summary(&class, &out));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Grades the plan and writes every output into `out`: each student's
/// files as soon as they are graded, the class's at the end.
pub async fn grade_into(
    plan: &Plan,
    cache: &BuildCache,
    out: &Path,
    progress: Progress,
) -> std::io::Result<ClassResults> {
    let mut failed_write = None;
    let class = schedule::run(plan, cache, progress, |student| {
        if let Err(error) = outputs::write_student(out, student) {
            failed_write.get_or_insert(error);
        }
    })
    .await?;
    if let Some(error) = failed_write {
        return Err(error);
    }
    outputs::write_class(out, &class)?;
    Ok(class)
}

/// One grading at a time per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The scores on stdout, and where the files are.
pub fn summary(class: &ClassResults, out: &Path) -> String {
    let width = class.students.iter().map(|s| s.submission.name.chars().count()).max().unwrap_or(0);
    let mut text = String::new();
    for student in &class.students {
        let verdicts: Vec<String> = student
            .outcomes
            .iter()
            .map(|o| format!("{} {}", o.step.id, o.verdict.words()))
            .collect();
        text.push_str(&format!(
            "{:<width$}  {:>4}/{:<4} {}\n",
            student.submission.name,
            student.score(),
            student.max_score(),
            verdicts.join(", ")
        ));
    }
    let counts: Vec<String> = class
        .verdict_counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(v, n)| format!("{n} {}", v.words()))
        .collect();
    text.push_str(&format!(
        "\n{} submission(s) graded in {:.0} s: {}\n",
        class.students.len(),
        class.took.as_secs_f64(),
        counts.join(", ")
    ));
    text.push_str(&format!(
        "Written to {}: gradebook.csv, report.html, junit.xml, results/, gradescope/\n",
        out.display()
    ));
    text
}

fn usage(message: &str) -> ExitCode {
    let known: Vec<&str> = STEPS.iter().map(|s| s.id).collect();
    eprintln!("error: {message} (the steps are {})", known.join(", "));
    ExitCode::from(2)
}
