//! `authlings`: the grader's command line.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};
use harness::{
    book, class, cutout, database,
    kit_root::kit_root,
    report::{self, Report},
    runner::{self, Options},
    server,
    steps::{self, STEPS, Step},
    student::{self, State, watch::WatchOptions},
    target::Target,
    tour,
};

#[derive(Parser)]
#[command(
    name = "authlings",
    version,
    about = "Grades the Authlings steps from the outside, over HTTP.",
    after_help = "With no command: `watch`, from the first step you have not passed yet."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Grades a step at every save of its files: the student's loop (the default).
    Watch {
        /// The step to work on (default: the first one not passed yet).
        step: Option<String>,
        /// Grade when you press Enter instead of watching the files, for
        /// file systems that do not report saves.
        #[arg(long)]
        manual: bool,
        /// Grade once, print the report and exit (0 when every check passed).
        #[arg(long, conflicts_with = "manual")]
        once: bool,
    },
    /// The steps with your score on each, and with --checks every check of each.
    List {
        #[arg(long)]
        checks: bool,
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Builds and grades a step: your exercise, the solution, or any server.
    Check {
        /// The step: 01, 1 or 01-hardcoded (none with --profile).
        #[arg(required_unless_present = "profile")]
        step: Option<String>,
        /// Grade the reference solution instead of your exercise.
        #[arg(long, conflicts_with_all = ["path", "cmd", "profile"])]
        solution: bool,
        /// Grade the cargo crate in DIR (with --profile: the submission's
        /// folder, an app written for that assignment).
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
        /// Grade an app written for another course's assignment, as that
        /// assignment asks: itmo-wad-hw3, holberton-0x02, hha504-week7, or
        /// a profile's .toml file (book/src/profiles.md).
        #[arg(long, value_name = "NAME", requires = "path", conflicts_with = "step")]
        profile: Option<String>,
        /// Grade the server this shell command starts (any language).
        #[arg(long, value_name = "CMD")]
        cmd: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// How long the server may take to answer its first GET /.
        #[arg(long, value_name = "SECS", default_value_t = 30)]
        start_timeout: u64,
        /// Grade on PostgreSQL instead of SQLite (step 04 on): the server
        /// gets a database made for the run on this server, dropped afterwards.
        #[arg(long, value_name = "postgres://...")]
        database_url: Option<String>,
        /// Run only this check (`s01.login-success` or `login-success`) and
        /// the checks it needs first.
        #[arg(long, value_name = "CHECK", conflicts_with = "profile")]
        only: Option<String>,
    },
    /// The hint for the first check your exercise fails, or for a check named.
    Hint {
        /// The step (default: the first one not passed yet), or a check id.
        step: Option<String>,
        /// A check of the step: `s01.login-success` or `login-success`.
        check: Option<String>,
    },
    /// Puts a step's exercise back as shipped, keeping your work in .authlings/backups/.
    Reset {
        step: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// The reference solution of a step you have passed.
    Solution {
        step: String,
        /// A diff from your exercise to the solution, instead of its files.
        #[arg(long)]
        diff: bool,
        /// Show it before your exercise passes every check.
        #[arg(long)]
        force: bool,
    },
    /// Grades a class: every submission of a step, in parallel, into a
    /// gradebook (CSV), JSON, Gradescope and JUnit results and an HTML report.
    Grade(class::command::GradeArgs),
    /// Writes a Gradescope autograder for a step: setup.sh, run_autograder,
    /// the kit, and autograder.zip to upload.
    Bundle {
        step: String,
        /// Where to write it (default: autograder-<step>).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Screenshots of every flow of a step in headless Chromium, and a
    /// README.md listing them: your exercise, the solution, or any server.
    Screenshots {
        /// The step: 01, 1 or 01-hardcoded.
        step: String,
        /// The reference solution instead of your exercise.
        #[arg(long, conflicts_with = "cmd")]
        solution: bool,
        /// The server this shell command starts (any language).
        #[arg(long, value_name = "CMD")]
        cmd: Option<String>,
        /// Where to write them (default: screenshots/<step>).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Runs the mock OpenID provider alone, to try step 05 in a browser (or,
    /// with --microsoft, step 06).
    Idp {
        /// The port on 127.0.0.1 (0: any free one).
        #[arg(long, default_value_t = harness::idp::DEFAULT_PORT)]
        port: u16,
        /// Its users and clients (default: fixtures/idp.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Microsoft's shape (Entra ID), for step 06: endpoints
        /// under /TENANT/v2.0, and the managed identity mock with its price
        /// service on the next two ports.
        #[arg(long)]
        microsoft: bool,
    },
    /// For the kit's authors.
    #[command(subcommand, hide = true)]
    Dev(Dev),
}

#[derive(Subcommand)]
enum Dev {
    /// Writes every exercise from its solution (or, with --check, says which differ).
    Sync {
        #[arg(long)]
        check: bool,
    },
    /// Writes the book's checks tables and security checklist from the
    /// registry, and its listings from the kit's files (or, with --check,
    /// says which are stale).
    Book {
        #[arg(long)]
        check: bool,
    },
    /// Writes the book's screenshots of every step's solution (needs chromium).
    Screenshots,
    /// Times the student's loop (save, build, grading) on each step.
    Bench {
        /// The steps to time (default: every step that has an exercise).
        #[arg(long = "step", value_name = "STEP")]
        steps: Vec<String>,
        /// Runs a step; the table shows medians.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Times `grade` on a made-up class, with one build cache and with a
    /// build of its own for each submission.
    BenchGrade {
        #[arg(long, default_value = "01")]
        step: String,
        /// Submissions in the class.
        #[arg(long, default_value_t = 30)]
        copies: usize,
        /// How many to build each on its own (the time is multiplied out).
        #[arg(long, default_value_t = 3)]
        separate: usize,
        /// Gradings at the same time (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
        #[arg(long, value_name = "SECS", default_value_t = 30)]
        timeout: u64,
        /// Keep the class, caches and results in DIR (default: removed).
        #[arg(long, value_name = "DIR")]
        work: Option<PathBuf>,
    },
    /// Load-tests every step's solution (release builds) with signed-in and
    /// signed-out `GET /api/me`, against an axum hello-world: req/s, p50,
    /// p99, the ratio to that ceiling, and idle and loaded memory.
    BenchServers {
        /// The steps to measure (default: every step).
        #[arg(long = "step", value_name = "STEP")]
        steps: Vec<String>,
        /// Keep-alive connections, each sending its next request as soon as
        /// the answer arrives.
        #[arg(long, default_value_t = 16)]
        connections: usize,
        /// Seconds measured in each round.
        #[arg(long, value_name = "SECS", default_value_t = 3.0)]
        secs: f64,
        /// Seconds of load before each round's measured time.
        #[arg(long, value_name = "SECS", default_value_t = 0.5)]
        warmup: f64,
        /// Rounds of each server and cookie, each beside a round of the
        /// ceiling; the ratio shown is their median.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Threads of the load generator.
        #[arg(long, default_value_t = 2)]
        client_threads: usize,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Human,
    Markdown,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread: the servers' parent-death signal is tied to the thread
    // that started them, so that thread must live as long as we do.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        tokio::spawn(server::interrupt_handler());
        let root = kit_root();
        let state = State::of_kit(&root);
        match cli.command {
            None => {
                let options = WatchOptions { start: None, manual: false, once: false };
                student::watch::run(&root, &state, options).await
            }
            Some(Command::Watch { step, manual, once }) => {
                let start = match step.as_deref().map(find_step).transpose() {
                    Ok(start) => start,
                    Err(code) => return code,
                };
                student::watch::run(&root, &state, WatchOptions { start, manual, once }).await
            }
            Some(Command::List { checks, format }) => list(&state, checks, format),
            Some(Command::Hint { step, check }) => {
                student::hint::command(&root, &state, step.as_deref(), check.as_deref()).await
            }
            Some(Command::Reset { step, yes }) => match find_step(&step) {
                Ok(step) => student::reset::command(step, &root, &state, yes),
                Err(code) => code,
            },
            Some(Command::Solution { step, diff, force }) => match find_step(&step) {
                Ok(step) => student::solution::command(step, &root, &state, diff, force),
                Err(code) => code,
            },
            Some(Command::Check {
                step,
                solution,
                path,
                profile,
                cmd,
                format,
                start_timeout,
                database_url,
                only,
            }) => {
                if let (Some(name), Some(path)) = (&profile, &path) {
                    let profile = match harness::profile::load(&root, name) {
                        Ok(profile) => profile,
                        Err(error) => {
                            eprintln!("error: {error}");
                            return ExitCode::from(2);
                        }
                    };
                    let options = harness::profile::ProfileOptions {
                        cmd,
                        ready_within: Duration::from_secs(start_timeout),
                        ..Default::default()
                    };
                    let report = harness::profile::grade(&root, &profile, path, &options).await;
                    print(&report, format);
                    return if report.all_passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE };
                }
                let step = step.unwrap_or_default();
                let Some(step) = steps::find(&step) else {
                    return unknown_step(&step);
                };
                let only = match only {
                    None => None,
                    Some(name) => match student::hint::find(&(step.checks)(), step, &name) {
                        Ok(check) => Some(check.id),
                        Err(problem) => {
                            eprintln!("error: --only: {problem}");
                            return ExitCode::from(2);
                        }
                    },
                };
                if path.is_some() && cmd.is_some() {
                    eprintln!(
                        "error: --path and --cmd cannot be used together (but with --profile)"
                    );
                    return ExitCode::from(2);
                }
                if let Some(url) = &database_url
                    && let Err(problem) = database_url_fits(step, url)
                {
                    eprintln!("error: --database-url: {problem}");
                    return ExitCode::from(2);
                }
                let target = match (solution, path, cmd) {
                    (true, _, _) => Target::Solution,
                    (_, Some(path), _) => Target::Path(path),
                    (_, _, Some(cmd)) => Target::Cmd(cmd),
                    _ => Target::Exercise,
                };
                let options = Options {
                    ready_within: Duration::from_secs(start_timeout),
                    database_url,
                    only,
                    ..Options::default()
                };
                let report = runner::grade(step, &target, &options).await;
                if matches!(format, Format::Human)
                    && let Some(headline) = student::grade::headline_of(step, &report)
                {
                    println!("{headline}\n");
                }
                print(&report, format);
                // A part of the step is no grading of it.
                if only.is_none()
                    && matches!(target, Target::Exercise)
                    && let Err(error) = state.record(&report)
                {
                    eprintln!("warning: cannot record your progress: {error}");
                }
                if report.all_passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
            }
            Some(Command::Grade(args)) => class::command::grade(&root, args).await,
            Some(Command::Bundle { step, out }) => match find_step(&step) {
                Ok(step) => {
                    let out =
                        out.unwrap_or_else(|| PathBuf::from(format!("autograder-{}", step.id)));
                    class::bundle::command(step, &root, &out)
                }
                Err(code) => code,
            },
            Some(Command::Screenshots { step, solution, cmd, out }) => match find_step(&step) {
                Ok(step) => {
                    let target = match (solution, cmd) {
                        (true, _) => Target::Solution,
                        (_, Some(cmd)) => Target::Cmd(cmd),
                        _ => Target::Exercise,
                    };
                    let out = out.unwrap_or_else(|| PathBuf::from("screenshots").join(step.id));
                    tour::command::screenshots(step, &target, &out).await
                }
                Err(code) => code,
            },
            Some(Command::Idp { port, config, microsoft }) => {
                let shape = if microsoft {
                    harness::idp::Shape::Microsoft
                } else {
                    harness::idp::Shape::Google
                };
                harness::idp::serve_for_browser(port, config, shape).await
            }
            Some(Command::Dev(Dev::Sync { check })) => sync(check),
            Some(Command::Dev(Dev::Book { check })) => write_book(check),
            Some(Command::Dev(Dev::Screenshots)) => tour::command::book().await,
            Some(Command::Dev(Dev::Bench { steps, runs })) => {
                let chosen: Result<Vec<&'static Step>, ExitCode> = if steps.is_empty() {
                    Ok(STEPS.iter().filter(|s| s.exercise_dir(&root).is_dir()).collect())
                } else {
                    steps.iter().map(|s| find_step(s)).collect()
                };
                match chosen {
                    Ok(chosen) => student::bench::run(&root, &chosen, runs).await,
                    Err(code) => code,
                }
            }
            Some(Command::Dev(Dev::BenchServers {
                steps,
                connections,
                secs,
                warmup,
                rounds,
                client_threads,
            })) => {
                let chosen: Result<Vec<&'static Step>, ExitCode> = if steps.is_empty() {
                    Ok(STEPS.iter().collect())
                } else {
                    steps.iter().map(|s| find_step(s)).collect()
                };
                match chosen {
                    Ok(steps) => {
                        let args = harness::speed::BenchArgs {
                            steps,
                            connections: connections.max(1),
                            duration: Duration::from_secs_f64(secs.max(0.1)),
                            warmup: Duration::from_secs_f64(warmup.max(0.0)),
                            rounds: rounds.max(1),
                            client_threads: client_threads.max(1),
                        };
                        harness::speed::run(&root, args).await
                    }
                    Err(code) => code,
                }
            }
            Some(Command::Dev(Dev::BenchGrade { step, copies, separate, jobs, timeout, work })) => {
                match find_step(&step) {
                    Ok(step) => {
                        let args = class::bench::BenchArgs {
                            work,
                            copies,
                            separate,
                            jobs: jobs.unwrap_or_else(class::command::default_jobs),
                            timeout: Duration::from_secs(timeout),
                        };
                        class::bench::run(&root, step, args).await
                    }
                    Err(code) => code,
                }
            }
        }
    })
}

fn print(report: &Report, format: Format) {
    match format {
        Format::Human => {
            let style = report::human::Style { colour: student::colour() };
            print!("{}", report::human::render(report, &style));
        }
        Format::Json => println!("{:#}", report::json::render(report)),
    }
}

fn find_step(name: &str) -> Result<&'static Step, ExitCode> {
    steps::find(name).ok_or_else(|| unknown_step(name))
}

/// Why `url` cannot be graded on for `step`, if it cannot.
fn database_url_fits(step: &Step, url: &str) -> Result<(), String> {
    if !step.has_database {
        return Err(format!("step {} keeps no database (steps 04 on do)", step.id));
    }
    if !database::scratch::is_postgres_url(url) {
        return Err(format!(
            "{} is not a postgres:// URL (SQLite needs none: it is the default, in the server's DATA_DIR)",
            database::scratch::redacted(url)
        ));
    }
    Ok(())
}

fn unknown_step(name: &str) -> ExitCode {
    let known: Vec<&str> = STEPS.iter().map(|s| s.id).collect();
    eprintln!("error: there is no step {name:?}; the steps are {}", known.join(", "));
    ExitCode::from(2)
}

fn list(state: &State, with_checks: bool, format: ListFormat) -> ExitCode {
    match format {
        ListFormat::Human => {
            let progress = state.progress();
            print!(
                "{}",
                student::list::render(STEPS, &progress, &|id| state.last(id), with_checks)
            );
        }
        ListFormat::Markdown => {
            for step in STEPS {
                print!("{}", book::checks_table(step));
            }
        }
    }
    ExitCode::SUCCESS
}

fn sync(check_only: bool) -> ExitCode {
    let root = kit_root();
    let mut drifted = Vec::new();
    for step in STEPS {
        let files = match cutout::exercise_files(
            &step.solution_dir(&root),
            &step.solution_package(),
            &step.exercise_package(),
        ) {
            Ok(files) => files,
            Err(error) => {
                eprintln!("error: step {}: {error}", step.id);
                return ExitCode::FAILURE;
            }
        };
        let exercise = step.exercise_dir(&root);
        for (relative, contents) in files {
            let path = exercise.join(&relative);
            if std::fs::read(&path).ok().as_deref() == Some(contents.as_slice()) {
                continue;
            }
            drifted.push(path.clone());
            if !check_only {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).expect("can create the exercise's folders");
                }
                std::fs::write(&path, contents).expect("can write the exercise");
            }
        }
    }
    for path in &drifted {
        let verb = if check_only { "differs from its solution" } else { "written" };
        eprintln!("{}: {verb}", path.strip_prefix(&root).unwrap_or(path).display());
    }
    if check_only && !drifted.is_empty() {
        eprintln!("run `cargo authlings dev sync` to make the exercises from the solutions again");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn write_book(check: bool) -> ExitCode {
    let root = kit_root();
    let dir = root.join("book/src");
    let mut tables: Vec<(String, String)> = STEPS
        .iter()
        .map(|step| (book::checks_table_path(step), book::checks_table(step)))
        .collect();
    tables.push((book::ASVS_TABLE_PATH.to_owned(), book::asvs_table(STEPS)));
    if check {
        let mut stale: Vec<String> = tables
            .iter()
            .filter(|(path, table)| {
                std::fs::read_to_string(dir.join(path)).ok().as_ref() != Some(table)
            })
            .map(|(path, _)| path.clone())
            .collect();
        match book::listings::stale(&root) {
            Ok(listings) => stale.extend(listings.iter().map(|p| p.display().to_string())),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        }
        for path in &stale {
            eprintln!("book/src/{path}: stale");
        }
        if !stale.is_empty() {
            eprintln!("run `cargo authlings dev book` to remake them");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    for (path, table) in &tables {
        let path = dir.join(path);
        if let Err(error) = std::fs::write(&path, table) {
            eprintln!("error: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("{}: written", path.display());
    }
    match book::listings::write(&root) {
        Ok(count) => {
            eprintln!("{}: {count} listings written", dir.join(book::listings::DIR).display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: cannot write the listings: {error}");
            ExitCode::FAILURE
        }
    }
}
