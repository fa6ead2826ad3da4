//! `authlings`: the grader's command line.

use std::{io::IsTerminal, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};
use harness::{
    book, cutout,
    kit_root::kit_root,
    report::{self, Report},
    runner::{self, Options},
    server,
    steps::{self, STEPS},
    target::Target,
};

#[derive(Parser)]
#[command(
    name = "authlings",
    version,
    about = "Grades the Authlings steps from the outside, over HTTP."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// The steps, and with --checks every check of each.
    List {
        #[arg(long)]
        checks: bool,
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Builds and grades a step: your exercise, the solution, or any server.
    Check {
        /// The step: 01, 1 or 01-hardcoded.
        step: String,
        /// Grade the reference solution instead of your exercise.
        #[arg(long, conflicts_with_all = ["path", "cmd"])]
        solution: bool,
        /// Grade the cargo crate in DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "cmd")]
        path: Option<PathBuf>,
        /// Grade the server this shell command starts (any language).
        #[arg(long, value_name = "CMD")]
        cmd: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// How long the server may take to answer its first GET /.
        #[arg(long, value_name = "SECS", default_value_t = 30)]
        start_timeout: u64,
    },
    /// Runs the mock OpenID provider alone, to try steps 05 and 06 in a browser.
    Idp {
        /// The port on 127.0.0.1 (0: any free one).
        #[arg(long, default_value_t = harness::idp::DEFAULT_PORT)]
        port: u16,
        /// Its users and clients (default: fixtures/idp.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
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
    /// Writes the book's checks tables from the registry.
    Book,
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
        match cli.command {
            None => first_unfinished().await,
            Some(Command::List { checks, format }) => list(checks, format),
            Some(Command::Check { step, solution, path, cmd, format, start_timeout }) => {
                let Some(step) = steps::find(&step) else {
                    return unknown_step(&step);
                };
                let target = match (solution, path, cmd) {
                    (true, _, _) => Target::Solution,
                    (_, Some(path), _) => Target::Path(path),
                    (_, _, Some(cmd)) => Target::Cmd(cmd),
                    _ => Target::Exercise,
                };
                let options = Options {
                    ready_within: Duration::from_secs(start_timeout),
                    ..Options::default()
                };
                let report = runner::grade(step, &target, &options).await;
                print(&report, format);
                if report.all_passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
            }
            Some(Command::Idp { port, config }) => {
                harness::idp::serve_for_browser(port, config).await
            }
            Some(Command::Dev(Dev::Sync { check })) => sync(check),
            Some(Command::Dev(Dev::Book)) => write_checks_tables(),
        }
    })
}

/// What a student types first: grade the first step not yet fully done.
async fn first_unfinished() -> ExitCode {
    for step in STEPS {
        let report = runner::grade(step, &Target::Exercise, &Options::default()).await;
        if !report.all_passed() {
            print(&report, Format::Human);
            println!(
                "Fix the first failing check above, then run `cargo authlings check {}` again.",
                step.id
            );
            return ExitCode::FAILURE;
        }
        println!("Step {} passes: {}/{}.", step.id, report.score(), report.max_score());
    }
    println!("Every step passes. Well done!");
    ExitCode::SUCCESS
}

fn print(report: &Report, format: Format) {
    match format {
        Format::Human => {
            let style = report::human::Style { colour: colour() };
            print!("{}", report::human::render(report, &style));
        }
        Format::Json => println!("{:#}", report::json::render(report)),
    }
}

fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn unknown_step(name: &str) -> ExitCode {
    let known: Vec<&str> = STEPS.iter().map(|s| s.id).collect();
    eprintln!("error: there is no step {name:?}; the steps are {}", known.join(", "));
    ExitCode::from(2)
}

fn list(with_checks: bool, format: ListFormat) -> ExitCode {
    for step in STEPS {
        match format {
            ListFormat::Human => {
                println!(
                    "{}  {:<16} {} ({} points)",
                    step.id,
                    step.folder,
                    step.title,
                    step.max_score()
                );
                if with_checks {
                    for check in (step.checks)() {
                        println!("      {:<28} {:>2}  {}", check.id, check.points, check.title);
                    }
                }
            }
            ListFormat::Markdown => print!("{}", book::checks_table(step)),
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

fn write_checks_tables() -> ExitCode {
    let dir = kit_root().join("book/src");
    for step in STEPS {
        let path = dir.join(book::checks_table_path(step));
        if let Err(error) = std::fs::write(&path, book::checks_table(step)) {
            eprintln!("error: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("{}: written", path.display());
    }
    ExitCode::SUCCESS
}
