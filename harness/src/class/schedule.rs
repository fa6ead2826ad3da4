//! The order of a class run: builds one at a time (they share one target
//! folder, and cargo would make them wait for each other anyway), gradings
//! side by side up to `jobs`, each build starting as soon as the one before
//! it ends, so that compiling the next student overlaps grading this one.
//!
//! Each grading gets its own working folder (with a copy of the kit's
//! `fixtures/`, as the contract promises) instead of the instructor's kit,
//! so that servers write nothing there and nothing in each other's folders;
//! a time limit for the build and another for the grading; and a sweep for
//! processes left behind. Whatever happens to one submission becomes its
//! [`Outcome`], and the run goes on.

use std::{
    cell::RefCell,
    fs,
    path::{Path, PathBuf},
    rc::Rc,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::{
    sync::{Semaphore, mpsc},
    task::LocalSet,
};

use super::{
    ClassResults, Outcome, StudentResults, Submission, Verdict,
    build_cache::{BuildCache, BuildError},
    leftovers, mirror,
    progress::Progress,
    submission::{self, Snapshot},
};
use crate::{
    check::Failure,
    compile::BuildFailure,
    runner::{self, Options},
    sandbox,
    steps::Step,
    student::{clock, grade::first_error_place},
    target::Target,
};

#[derive(Clone)]
pub struct Plan {
    pub steps: Vec<&'static Step>,
    pub submissions: Vec<Submission>,
    /// Gradings at the same time.
    pub jobs: usize,
    /// For one build, and for one grading.
    pub timeout: Duration,
    /// The kit whose fixtures the servers get (the instructor's).
    pub kit_root: PathBuf,
}

impl Plan {
    /// How long a server may take to answer its first `GET /`: the
    /// contract's 30 s, or less under a short time limit, so that a server
    /// that never answers is told as such rather than as timed out.
    fn ready_within(&self) -> Duration {
        (self.timeout / 2).min(Duration::from_secs(30))
    }
}

/// Grades every submission of every step of `plan`. `on_student` is called
/// with each student's results as soon as all their steps are graded.
pub async fn run(
    plan: &Plan,
    cache: &BuildCache,
    progress: Progress,
    mut on_student: impl FnMut(&StudentResults),
) -> std::io::Result<ClassResults> {
    let started_at = clock::now();
    let started = Instant::now();
    let run_dir = cache.run_dir()?;
    fs::create_dir(run_dir.path().join("bin"))?;
    let progress = Rc::new(RefCell::new(progress));
    for step in &plan.steps {
        progress.borrow_mut().building(Some(format!("step {}'s dependencies, once", step.id)));
        if let Err(failure) = cache.prepare(step).await {
            progress.borrow().line(&format!(
                "warning: the kit's own exercise of step {} does not build ({}); \
                 each submission's build will compile the dependencies",
                step.id, failure.summary
            ));
        }
    }
    progress.borrow_mut().building(None);
    let mut students: Vec<StudentResults> = plan
        .submissions
        .iter()
        .map(|s| StudentResults { submission: s.clone(), outcomes: Vec::new() })
        .collect();
    let (sender, mut receiver) = mpsc::unbounded_channel::<(usize, Outcome)>();
    let shared = Rc::new(Shared {
        plan: plan.clone(),
        run_dir: run_dir.path().to_path_buf(),
        progress: progress.clone(),
        sender,
    });
    let collect = async {
        // Until the builder and every grading are done with the sender.
        while let Some((student, outcome)) = receiver.recv().await {
            progress.borrow_mut().graded(&plan.submissions[student], &outcome);
            let results = &mut students[student];
            results.outcomes.push(outcome);
            if results.outcomes.len() == plan.steps.len() {
                let order = |o: &Outcome| plan.steps.iter().position(|s| s.id == o.step.id);
                results.outcomes.sort_by_key(order);
                on_student(results);
            }
        }
    };
    LocalSet::new().run_until(async { tokio::join!(build_all(shared, cache), collect) }).await;
    progress.borrow().finish();
    Ok(ClassResults {
        steps: plan.steps.clone(),
        students,
        started: started_at,
        took: started.elapsed(),
    })
}

/// What the builder and the gradings share.
struct Shared {
    plan: Plan,
    run_dir: PathBuf,
    progress: Rc<RefCell<Progress>>,
    sender: mpsc::UnboundedSender<(usize, Outcome)>,
}

/// Builds every submission in turn and starts its grading.
async fn build_all(shared: Rc<Shared>, cache: &BuildCache) {
    let plan = &shared.plan;
    let gradings = Arc::new(Semaphore::new(plan.jobs.max(1)));
    // Built and not yet graded: bounds the binaries waiting on disk.
    let ahead = Arc::new(Semaphore::new(plan.jobs.max(1) + 1));
    let mut tasks = tokio::task::JoinSet::new();
    for (student, submission) in plan.submissions.iter().enumerate() {
        for &step in &plan.steps {
            let snapshot =
                submission::find(&submission.dir, step).and_then(|dir| Snapshot::take(&dir));
            let snapshot = match snapshot {
                Ok(snapshot) => snapshot,
                Err(why) => {
                    let failure = Failure::new("the step's exercise in the submission").got(&why);
                    let target = submission.dir.display().to_string();
                    let outcome = Outcome::not_run(step, target, Verdict::NoExercise, why, failure);
                    let _ = shared.sender.send((student, outcome));
                    continue;
                }
            };
            let Ok(waiting) = ahead.clone().acquire_owned().await else { return };
            shared
                .progress
                .borrow_mut()
                .building(Some(format!("{} ({})", submission.name, step.id)));
            let binary =
                shared.run_dir.join("bin").join(format!("{}-{}", submission.file_name, step.id));
            let started = Instant::now();
            let built = cache.build(step, &snapshot, plan.timeout, &binary).await;
            let build_time = started.elapsed();
            shared.progress.borrow_mut().building(None);
            let target = snapshot.dir.display().to_string();
            let mut outcome = match built {
                Ok(()) => {
                    let shared = shared.clone();
                    let gradings = gradings.clone();
                    let skipped = snapshot.skipped.len();
                    tasks.spawn_local(async move {
                        let Ok(_grading) = gradings.acquire().await else { return };
                        let mut outcome = grade(&shared, step, &binary, target, student).await;
                        outcome.build_time = build_time;
                        if skipped > 0 {
                            outcome.report.notes.push(skipped_note(skipped));
                        }
                        let _ = fs::remove_file(&binary);
                        drop(waiting);
                        let _ = shared.sender.send((student, outcome));
                    });
                    continue;
                }
                Err(BuildError::Failed(failure)) => does_not_compile(step, target, failure),
                Err(BuildError::TimedOut(within)) => Outcome::timed_out(
                    step,
                    target,
                    format!("the build did not finish within {} s", within.as_secs()),
                ),
            };
            outcome.build_time = build_time;
            drop(waiting);
            let _ = shared.sender.send((student, outcome));
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// Starts the built server in a folder of its own and runs the step's
/// checks, within the time limit; then kills what it left behind.
async fn grade(
    shared: &Shared,
    step: &'static Step,
    binary: &Path,
    target: String,
    student: usize,
) -> Outcome {
    let plan = &shared.plan;
    let started = Instant::now();
    let cwd = shared.run_dir.join(format!("{}-{}", plan.submissions[student].file_name, step.id));
    if let Err(error) = mirror::mirror(&plan.kit_root.join("fixtures"), &cwd.join("fixtures")) {
        let failure = Failure::new("a working folder for the server").got(error.to_string());
        return Outcome::not_run(step, target, Verdict::DidNotStart, error.to_string(), failure);
    }
    let token = sandbox::random_token();
    let command = format!(
        "cd {} && {}={token} exec {}",
        shell_quote(&cwd),
        leftovers::MARKER,
        shell_quote(binary)
    );
    let options = Options {
        echo_build: false,
        ready_within: plan.ready_within(),
        check_within: plan.timeout.min(Duration::from_secs(60)),
        database_url: None,
        only: None,
    };
    let graded =
        tokio::time::timeout(plan.timeout, runner::grade(step, &Target::Cmd(command), &options))
            .await;
    let left = leftovers::sweep(&token, &cwd).await;
    let mut outcome = match graded {
        Ok(mut report) => {
            report.target = target;
            let (verdict, detail) = Verdict::of_report(&report);
            Outcome {
                step,
                verdict,
                detail,
                report,
                build_time: Duration::ZERO,
                grading_time: Duration::ZERO,
            }
        }
        Err(_) => Outcome::timed_out(
            step,
            target,
            format!("the grading did not finish within {} s", plan.timeout.as_secs()),
        ),
    };
    if left > 0 {
        let (them, were) = if left == 1 { ("1 process", "was") } else { ("processes", "were") };
        let them = if left == 1 { them.to_owned() } else { format!("{left} {them}") };
        outcome.report.notes.push(format!(
            "{them} the server started {were} still running after it was stopped, outside \
             its process group; killed"
        ));
    }
    let _ = fs::remove_dir_all(&cwd);
    outcome.grading_time = started.elapsed();
    outcome
}

/// The outcome of a build that failed, in the shape `check` reports it.
fn does_not_compile(step: &'static Step, target: String, failure: BuildFailure) -> Outcome {
    let first_error = failure.diagnostics.lines().find(|l| l.starts_with("error")).map(|line| {
        match first_error_place(&failure.diagnostics) {
            Some(place) => format!("{line} ({place})"),
            None => line.to_owned(),
        }
    });
    let detail = first_error.unwrap_or_else(|| failure.summary.clone());
    let got = if failure.diagnostics.is_empty() {
        failure.summary.clone()
    } else {
        format!("{}:\n{}", failure.summary, failure.diagnostics.trim_end())
    };
    let failure = Failure::new("the server to compile").sent("cargo build").got(got);
    Outcome::not_run(step, target, Verdict::DoesNotCompile, detail, failure)
}

fn skipped_note(count: usize) -> String {
    format!(
        "{count} symbolic link(s) or special file(s) in the exercise were left out of the build"
    )
}

fn shell_quote(path: &Path) -> String {
    crate::text::shell_quote(&path.display().to_string())
}
