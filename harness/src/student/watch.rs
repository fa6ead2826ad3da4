//! `authlings` and `authlings watch`: the student's loop. It starts at the
//! first step not passed yet (from the progress file, without grading the
//! others), builds and grades it, and does it again at every save of that
//! step's files. A save, `r` or `n` during a build or a grading cancels it
//! (cargo and the server are killed) and starts over.

use std::{
    future::Future,
    io::{IsTerminal, Write as _},
    path::Path,
    process::ExitCode,
    time::{Duration, Instant},
};

use tokio::time::{MissedTickBehavior, interval};

use super::{
    clock,
    files::{Change, Watcher},
    grade, hint,
    keys::{Key, Keys},
    list, paint,
    progress::LastResult,
    state::State,
};
use crate::{
    report::{self, Report},
    runner::Options,
    steps::{STEPS, Step},
};

pub struct WatchOptions {
    /// The step to start at; by default the first one not passed.
    pub start: Option<&'static Step>,
    /// Grade on Enter instead of watching files.
    pub manual: bool,
    /// Grade once, print, and exit (0 when every check passed).
    pub once: bool,
}

pub async fn run(kit_root: &Path, state: &State, options: WatchOptions) -> ExitCode {
    let progress = state.progress();
    let Some(step) = options.start.or_else(|| progress.first_unpassed(STEPS)) else {
        println!(
            "Every step passes, says {}. `cargo authlings list` shows them; \
             `cargo authlings watch NN` works on one again.",
            state.show(&state.progress_file())
        );
        return ExitCode::SUCCESS;
    };
    let interactive = !options.once;
    let keys = interactive.then(Keys::start);
    let mut session = Session {
        kit_root,
        state,
        colour: super::colour(),
        tty: std::io::stdout().is_terminal(),
        interactive,
        keys_open: keys.is_some(),
        keys,
        deferred: Vec::new(),
        manual: options.manual,
        notice: None,
        last: None,
        broken: None,
    };
    if options.once {
        let _ = session.grade(step, &mut None).await;
        return session.exit_code();
    }
    let mut step = step;
    loop {
        match session.work_on(step).await {
            Leave::Quit => return ExitCode::SUCCESS,
            Leave::InputEnded => return session.exit_code(),
            Leave::Step(next) => step = next,
        }
    }
}

enum Leave {
    /// The student pressed q.
    Quit,
    /// Standard input ended (not a terminal): the last grading decides.
    InputEnded,
    Step(&'static Step),
}

/// What stopped a build or a grading before it finished.
enum Interrupted {
    Change(Change),
    Key(Key),
}

struct Session<'a> {
    kit_root: &'a Path,
    state: &'a State,
    colour: bool,
    /// Standard output is a terminal: the screen is cleared at each run,
    /// and the status line updated in place.
    tty: bool,
    interactive: bool,
    keys: Option<Keys>,
    keys_open: bool,
    /// Keys pressed during a run that wait for its end (hint, list).
    deferred: Vec<Key>,
    manual: bool,
    /// Said once, at the top of the next run.
    notice: Option<String>,
    /// The current step's last report.
    last: Option<LastResult>,
    /// Why the current step does not compile, when it does not.
    broken: Option<String>,
}

impl Session<'_> {
    async fn work_on(&mut self, step: &'static Step) -> Leave {
        let mut watcher = self.watcher_for(step);
        self.last = self.state.last(step.id);
        self.broken = None;
        let mut run = true;
        let mut prompt = true;
        loop {
            if run {
                run = false;
                prompt = true;
                match self.grade(step, &mut watcher).await {
                    Ok(()) => {}
                    Err(Interrupted::Change(change)) => {
                        self.saw(change);
                        run = true;
                        continue;
                    }
                    Err(Interrupted::Key(Key::Quit)) => return Leave::Quit,
                    Err(Interrupted::Key(Key::Next)) => {
                        if let Some(next) = self.next_step(step) {
                            return Leave::Step(next);
                        }
                        run = true;
                        continue;
                    }
                    Err(Interrupted::Key(_)) => {
                        run = true;
                        continue;
                    }
                }
                for key in std::mem::take(&mut self.deferred) {
                    self.act(key, step);
                }
            }
            if !self.keys_open {
                return Leave::InputEnded;
            }
            if prompt {
                self.show_keys(step);
            }
            prompt = true;
            let event = tokio::select! {
                change = next_change(&mut watcher) => Interrupted::Change(change),
                key = next_key(&mut self.keys) => Interrupted::Key(key),
            };
            match event {
                Interrupted::Change(change) => {
                    self.saw(change);
                    run = true;
                }
                Interrupted::Key(Key::Quit) => return Leave::Quit,
                Interrupted::Key(Key::Next) => {
                    if let Some(next) = self.next_step(step) {
                        return Leave::Step(next);
                    }
                }
                Interrupted::Key(Key::Recheck) => run = true,
                Interrupted::Key(Key::Closed) => self.keys_open = false,
                // Stray bytes (an arrow key's escape sequence): nothing to say.
                Interrupted::Key(Key::Other) => prompt = false,
                Interrupted::Key(key) => self.act(key, step),
            }
        }
    }

    fn watcher_for(&mut self, step: &Step) -> Option<Watcher> {
        if self.manual {
            return None;
        }
        let dir = step.exercise_dir(self.kit_root);
        match Watcher::start(&dir) {
            Ok(watcher) => Some(watcher),
            Err(error) => {
                self.manual = true;
                self.notice = Some(format!(
                    "Cannot watch exercises/{} for saves ({error}).\n\
                     Switched to manual mode: after each save, press Enter (or r) to grade again. \
                     `cargo authlings watch --manual` starts this way.",
                    step.folder
                ));
                None
            }
        }
    }

    fn saw(&mut self, change: Change) {
        let (files, missed) = match change {
            Change::Saved(files) => (files, false),
            Change::Missed(files) => (files, true),
        };
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let mut note = if names.is_empty() {
            "Files changed (the file system's watcher lost count): grading again.".to_owned()
        } else {
            format!("Saved: {}", names.join(", "))
        };
        if missed {
            note.push_str(
                "\nThis file system did not report that save; the grader found it by \
                 comparing modification times, and from now on looks every second.\n\
                 If a save is ever not graded, use `cargo authlings watch --manual` and press Enter after saving.",
            );
        }
        self.notice = Some(note);
    }

    fn next_step(&self, step: &Step) -> Option<&'static Step> {
        let index = STEPS.iter().position(|s| s.id == step.id)?;
        let next = STEPS.get(index + 1);
        if next.is_none() {
            println!("Step {} is the last step.", step.id);
        }
        next
    }

    /// Builds and grades `step`'s exercise, prints the outcome and records
    /// it. A save or a key (r, n, q) stops it early.
    async fn grade(
        &mut self,
        step: &Step,
        watcher: &mut Option<Watcher>,
    ) -> Result<(), Interrupted> {
        if self.interactive && self.tty {
            print!("\x1b[2J\x1b[H");
        }
        if let Some(notice) = self.notice.take() {
            println!("{notice}\n");
        }
        let dir = step.exercise_dir(self.kit_root);
        let started = Instant::now();
        let status = format!("Building exercises/{}", step.folder);
        let built = self.race(grade::build(&dir, false), watcher, &status).await?;
        let build_time = started.elapsed();
        let binary = match built {
            Ok(binary) => binary,
            Err(failure) => {
                self.end_status();
                let headline = grade::compile_headline(step, &failure);
                println!("{}\n", paint(self.colour, "1;31", &headline));
                println!("{}", failure.diagnostics.trim_end());
                self.broken = Some(headline);
                return Ok(());
            }
        };
        self.broken = None;
        let options = Options { echo_build: false, ..Options::default() };
        let started = Instant::now();
        let status = format!("Grading step {}", step.id);
        let report =
            self.race(grade::grade_built(step, &binary, &dir, &options), watcher, &status).await?;
        let grading_time = started.elapsed();
        self.end_status();
        print!("{}", report::human::render(&report, &report::human::Style { colour: self.colour }));
        if let Err(error) = self.state.record(&report) {
            eprintln!(
                "warning: cannot write {}: {error}",
                self.state.show(&self.state.progress_file())
            );
        }
        self.last = Some(LastResult::from_report(&report, &clock::rfc3339(clock::now())));
        self.verdict(step, &report);
        println!(
            "{}",
            paint(
                self.colour,
                "2",
                &format!("built in {}, graded in {}", seconds(build_time), seconds(grading_time))
            )
        );
        Ok(())
    }

    /// Runs `work` until it ends, or a save or a key stops it. Hint and
    /// list wait for its end.
    async fn race<T>(
        &mut self,
        work: impl Future<Output = T>,
        watcher: &mut Option<Watcher>,
        status: &str,
    ) -> Result<T, Interrupted> {
        tokio::pin!(work);
        let started = Instant::now();
        let mut ticker = interval(Duration::from_secs(1));
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        if !self.tty {
            println!("{status}...");
        }
        loop {
            tokio::select! {
                done = &mut work => return Ok(done),
                change = next_change(watcher) => {
                    self.end_status();
                    return Err(Interrupted::Change(change));
                }
                key = next_key(&mut self.keys), if self.keys_open => match key {
                    Key::Quit | Key::Next | Key::Recheck => {
                        self.end_status();
                        return Err(Interrupted::Key(key));
                    }
                    Key::Closed => self.keys_open = false,
                    other => self.deferred.push(other),
                },
                _ = ticker.tick(), if self.tty => {
                    print!("\r\x1b[K{status}... {} s", started.elapsed().as_secs());
                    let _ = std::io::stdout().flush();
                }
            }
        }
    }

    fn end_status(&self) {
        if self.tty {
            print!("\r\x1b[K");
            let _ = std::io::stdout().flush();
        }
    }

    /// What to do next, under the report.
    fn verdict(&self, step: &Step, report: &Report) {
        if report.all_passed() {
            let line = format!(
                "Every check of step {} passes: {}/{}. Well done!",
                step.id,
                report.score(),
                report.max_score()
            );
            println!("{}", paint(self.colour, "1;32", &line));
            println!(
                "`cargo authlings solution {}` now shows the reference solution, to compare with yours.",
                step.id
            );
            if let Some(next) = STEPS.iter().skip_while(|s| s.id != step.id).nth(1) {
                if self.interactive {
                    println!("Press n for step {} ({}), or keep improving.", next.id, next.folder);
                } else {
                    println!("Next: step {} ({}).", next.id, next.folder);
                }
            } else {
                println!("That was the last step.");
            }
        } else if let Some(failing) = report
            .results
            .iter()
            .find(|r| matches!(r.status, report::Status::Fail | report::Status::Error))
        {
            let what = if self.keys.as_ref().is_some_and(|k| k.immediate) {
                "press h".to_owned()
            } else if self.interactive {
                "type h".to_owned()
            } else {
                format!("`cargo authlings hint {}`", step.id)
            };
            println!("Next to fix: {} ({}); {what} for its hint.", failing.id, failing.title);
        }
    }

    /// Keys that do not stop a run: hint and list.
    fn act(&mut self, key: Key, step: &Step) {
        match key {
            Key::Hint => {
                println!();
                if let Some(broken) = &self.broken {
                    println!("{broken}\nThe checks' hints are for once it compiles.");
                    return;
                }
                let Some(last) = &self.last else {
                    println!("Step {} has not been graded yet.", step.id);
                    return;
                };
                let checks = (step.checks)();
                match hint::pick(&checks, step, last, None) {
                    Ok(hint::Pick::Check(check)) => {
                        print!("{}", hint::render(check, last.check(check.id), &last.graded))
                    }
                    Ok(hint::Pick::AllPassed) => println!("Every check passed: no hint needed."),
                    Err(error) => println!("{error}"),
                }
            }
            Key::List => {
                println!();
                let progress = self.state.progress();
                print!("{}", list::render(STEPS, &progress, &|id| self.state.last(id), false));
            }
            _ => {}
        }
    }

    fn show_keys(&self, step: &Step) {
        let how = if self.manual {
            "Manual mode: after saving, press Enter (or r) to grade again.".to_owned()
        } else {
            format!("Watching exercises/{}: every save is graded.", step.folder)
        };
        let keys = if self.keys.as_ref().is_some_and(|k| k.immediate) {
            "n next step · h hint · l list · r re-check · q quit"
        } else {
            "type a command and Enter: n (next step), h (hint), l (list), r (re-check), q (quit)"
        };
        println!("\n{how}\n{}", paint(self.colour, "2", keys));
    }

    fn exit_code(&self) -> ExitCode {
        let passed = self.broken.is_none()
            && self.last.as_ref().is_some_and(|l| l.checks.iter().all(|c| c.status == "pass"));
        if passed { ExitCode::SUCCESS } else { ExitCode::FAILURE }
    }
}

async fn next_change(watcher: &mut Option<Watcher>) -> Change {
    match watcher {
        Some(watcher) => watcher.next().await,
        None => std::future::pending().await,
    }
}

async fn next_key(keys: &mut Option<Keys>) -> Key {
    match keys {
        Some(keys) => keys.next().await,
        None => std::future::pending().await,
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}
