//! What is being graded, and how to get a program to start from it.

use std::path::{Path, PathBuf};

use crate::{
    compile::{self, BuildFailure},
    server::Program,
    steps::Step,
};

#[derive(Clone, Debug)]
pub enum Target {
    /// The student's exercise crate in this kit.
    Exercise,
    /// The reference solution.
    Solution,
    /// A cargo crate elsewhere.
    Path(PathBuf),
    /// Any server, started with `sh -c`.
    Cmd(String),
}

impl Target {
    /// For the report's first line.
    pub fn describe(&self, step: &Step) -> String {
        match self {
            Target::Exercise => format!("exercises/{}", step.folder),
            Target::Solution => format!("solutions/{}", step.folder),
            Target::Path(path) => path.display().to_string(),
            Target::Cmd(line) => format!("`{line}`"),
        }
    }

    /// Builds the crate if there is one; `echo` shows cargo's progress.
    pub async fn program(
        &self,
        step: &Step,
        kit_root: &Path,
        echo: bool,
    ) -> Result<Program, BuildFailure> {
        let dir = match self {
            Target::Cmd(line) => return Ok(Program::Shell(line.clone())),
            Target::Exercise => step.exercise_dir(kit_root),
            Target::Solution => step.solution_dir(kit_root),
            Target::Path(path) => path.clone(),
        };
        let manifest = dir.join("Cargo.toml");
        let manifest = manifest.canonicalize().map_err(|e| BuildFailure {
            summary: format!("there is no crate at {}: {e}", dir.display()),
            diagnostics: String::new(),
        })?;
        compile::build(&manifest, echo).await.map(Program::Binary)
    }
}
