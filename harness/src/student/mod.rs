//! The student's loop around the grader: what `cargo authlings` does for
//! someone working through the steps.
//!
//! [`watch`] grades the step being worked on at every save, with keys for
//! the rest; [`progress`] and [`state`] remember each step's best score in
//! `.authlings/`; [`list`], [`hint`], [`reset`] and [`solution`] are the
//! commands of the same names; [`grade`] builds and grades one exercise
//! with the build and the grading timed apart, which [`bench`] measures.

pub mod bench;
pub mod clock;
pub mod files;
pub mod grade;
pub mod hint;
pub mod keys;
pub mod list;
pub mod progress;
pub mod reset;
pub mod solution;
pub mod state;
pub mod watch;

pub use state::State;

use std::{
    fs, io,
    io::IsTerminal,
    path::{Path, PathBuf},
};

/// Whether standard output takes colours (a terminal, and no `NO_COLOR`).
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `text` in the ANSI style `code` when `on`.
pub fn paint(on: bool, code: &str, text: &str) -> String {
    if on { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
}

/// Files below `dir`, relative to it, sorted; build output (`target/`)
/// left out.
pub fn files_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                if entry.file_name() != "target" {
                    pending.push(path);
                }
            } else {
                found.push(path.strip_prefix(dir).expect("below dir").to_path_buf());
            }
        }
    }
    found.sort();
    Ok(found)
}
