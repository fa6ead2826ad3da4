//! Where the kit is: the workspace this harness was built from.

use std::path::PathBuf;

/// The kit's root folder (the one holding `fixtures/`, `exercises/`, ...).
/// The harness always runs from its own kit, so the build-time path is right.
pub fn kit_root() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    root.canonicalize().unwrap_or(root)
}
