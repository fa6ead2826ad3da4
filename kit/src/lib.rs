//! The parts of an Authlings step server that no step teaches.
//!
//! Every step's `main` reads a [`Config`], builds its own router of the
//! routes it teaches, and hands it to [`serve`], which adds the static files,
//! the safety net for unfinished code, the security headers every answer
//! carries, and graceful shutdown. Everything here
//! follows `book/src/contract.md`; the step crates hold only their concept.

pub mod config;
pub mod memory_store;
pub mod next;
pub mod page;
pub mod private;
pub mod security_headers;
pub mod serve;
pub mod session;
pub mod static_files;
pub mod unfinished;

pub use config::Config;
pub use next::local_next;
pub use page::{Page, SignInExtras, Site, render};
pub use serve::serve;
pub use session::Session;
