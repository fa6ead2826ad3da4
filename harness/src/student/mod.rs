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

use std::io::IsTerminal;

/// Whether standard output takes colours (a terminal, and no `NO_COLOR`).
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

pub use crate::{files::files_under, text::paint};
