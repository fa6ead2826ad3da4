//! `authlings reset`: puts a step's exercise back as shipped (made from its
//! solution, as `dev sync` makes it), after copying the student's work to
//! `.authlings/backups/<step>-<time>/`.

use std::{
    fs,
    io::{self, BufRead, Write as _},
    path::{Path, PathBuf},
    process::ExitCode,
};

use super::{State, clock, files_under};
use crate::{cutout, steps::Step};

/// `authlings reset STEP [--yes]`.
pub fn command(step: &Step, kit_root: &Path, state: &State, yes: bool) -> ExitCode {
    let plan = match plan(step, kit_root) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("error: cannot compare exercises/{} with its solution: {error}", step.folder);
            return ExitCode::FAILURE;
        }
    };
    if plan.is_empty() {
        println!("exercises/{} is as shipped already: nothing to reset.", step.folder);
        return ExitCode::SUCCESS;
    }
    let backup = backup_dir(state, step);
    println!(
        "Resetting step {} puts exercises/{} back as shipped. It changes:",
        step.id, step.folder
    );
    for path in plan.paths() {
        let what = if plan.remove.iter().any(|p| p == path) { "removed" } else { "rewritten" };
        println!("  {} ({what})", path.display());
    }
    println!("Your work is copied to {} first.", state.show(&backup));
    if !yes && !confirm(&format!("Reset step {}? [y/N] ", step.id)) {
        println!("Nothing changed.");
        return ExitCode::FAILURE;
    }
    if let Err(error) = back_up(step, kit_root, &backup) {
        eprintln!(
            "error: cannot back up your work to {}: {error}; nothing reset",
            state.show(&backup)
        );
        return ExitCode::FAILURE;
    }
    if let Err(error) = apply(step, kit_root, &plan) {
        eprintln!(
            "error: the reset stopped half-way ({error}); your work is in {}",
            state.show(&backup)
        );
        return ExitCode::FAILURE;
    }
    state.forget_last(step.id);
    println!(
        "Done: exercises/{} is as shipped; your work is in {}.",
        step.folder,
        state.show(&backup)
    );
    ExitCode::SUCCESS
}

/// A fresh `backups/<step>-<time>` folder name.
fn backup_dir(state: &State, step: &Step) -> PathBuf {
    let base = format!("{}-{}", step.id, clock::compact(clock::now()));
    let mut dir = state.backups_dir().join(&base);
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = state.backups_dir().join(format!("{base}-{n}"));
    }
    dir
}

/// Asks on the terminal; anything but y or yes (or no answer) is no.
fn confirm(question: &str) -> bool {
    print!("{question}");
    let _ = io::stdout().flush();
    let mut answer = String::new();
    match io::stdin().lock().read_line(&mut answer) {
        Ok(0) | Err(_) => {
            println!("\n(no answer: pass --yes to reset without asking)");
            false
        }
        Ok(_) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
    }
}

/// What resetting would change, relative to the exercise's folder.
#[derive(Debug, Default)]
pub struct Plan {
    /// Files that differ from the shipped ones, or are missing: rewritten.
    pub rewrite: Vec<(PathBuf, Vec<u8>)>,
    /// Files the exercise does not ship: removed (after the backup).
    pub remove: Vec<PathBuf>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.rewrite.is_empty() && self.remove.is_empty()
    }

    /// Every path the reset touches, sorted.
    pub fn paths(&self) -> Vec<&Path> {
        let mut paths: Vec<&Path> = self
            .rewrite
            .iter()
            .map(|(p, _)| p.as_path())
            .chain(self.remove.iter().map(PathBuf::as_path))
            .collect();
        paths.sort();
        paths
    }
}

/// Compares the exercise in `kit_root` with what its solution makes.
pub fn plan(step: &Step, kit_root: &Path) -> io::Result<Plan> {
    let shipped = cutout::exercise_files(
        &step.solution_dir(kit_root),
        &step.solution_package(),
        &step.exercise_package(),
    )?;
    let dir = step.exercise_dir(kit_root);
    let mut plan = Plan::default();
    for (relative, contents) in &shipped {
        if fs::read(dir.join(relative)).ok().as_deref() != Some(contents.as_slice()) {
            plan.rewrite.push((relative.clone(), contents.clone()));
        }
    }
    for relative in files_under(&dir)? {
        if !shipped.iter().any(|(shipped, _)| *shipped == relative) {
            plan.remove.push(relative);
        }
    }
    Ok(plan)
}

/// Copies every file of the exercise (build output aside) into `backup`.
pub fn back_up(step: &Step, kit_root: &Path, backup: &Path) -> io::Result<()> {
    let dir = step.exercise_dir(kit_root);
    for relative in files_under(&dir)? {
        let to = backup.join(&relative);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(dir.join(&relative), to)?;
    }
    Ok(())
}

/// Carries out `plan` on the exercise, removing folders it leaves empty.
pub fn apply(step: &Step, kit_root: &Path, plan: &Plan) -> io::Result<()> {
    let dir = step.exercise_dir(kit_root);
    for (relative, contents) in &plan.rewrite {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(path, contents)?;
    }
    for relative in &plan.remove {
        fs::remove_file(dir.join(relative))?;
        let mut folder = relative.parent();
        while let Some(parent) = folder.filter(|p| !p.as_os_str().is_empty()) {
            // Fails, and stops, at the first folder that still holds something.
            if fs::remove_dir(dir.join(parent)).is_err() {
                break;
            }
            folder = parent.parent();
        }
    }
    Ok(())
}
