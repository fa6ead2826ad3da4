//! What a submission contributes: one step's exercise folder, and nothing
//! else. The kit around it (the shared `kit` crate, the solutions later
//! steps build on, the fixtures, the lock file) and the checks come from the
//! instructor's kit, so a student cannot change how they are graded by
//! changing those.
//!
//! The exercise is found where a copy of the kit has it
//! (`exercises/01-hardcoded/`), or where a student who uploaded less put it:
//! the step's folder at the top (`01-hardcoded/`), the crate itself at the
//! top, or a kit one folder down (a zip of a repository).

use std::{
    fs,
    path::{Path, PathBuf},
};

use crate::steps::Step;

/// A submission's exercise bigger than this is not taken.
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
pub const MAX_FILES: usize = 5_000;

/// The exercise folder for `step` in the submission at `dir`.
pub fn find(dir: &Path, step: &Step) -> Result<PathBuf, String> {
    if !dir.is_dir() {
        return Err(format!("the folder {} does not exist", dir.display()));
    }
    let in_kit = |kit: &Path| kit.join("exercises").join(step.folder);
    let mut candidates = vec![in_kit(dir), dir.join(step.folder)];
    if package_name(dir).as_deref() == Some(step.exercise_package().as_str()) {
        candidates.push(dir.to_path_buf());
    }
    if let Ok(entries) = fs::read_dir(dir) {
        let mut below: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| in_kit(&e.path()))
            .filter(|p| p.join("Cargo.toml").is_file())
            .collect();
        if below.len() == 1 {
            candidates.append(&mut below);
        }
    }
    candidates.into_iter().find(|c| c.join("Cargo.toml").is_file()).ok_or_else(|| {
        format!(
            "no exercises/{}/Cargo.toml (nor {}/Cargo.toml) in {}",
            step.folder,
            step.folder,
            dir.display()
        )
    })
}

/// `name` in the `[package]` of the crate at `dir`, if there is one.
fn package_name(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let manifest: toml::Table = toml::from_str(&text).ok()?;
    manifest.get("package")?.get("name")?.as_str().map(str::to_owned)
}

/// An exercise folder as it was when it was read: the files the build gets.
#[derive(Debug)]
pub struct Snapshot {
    pub dir: PathBuf,
    files: Vec<(PathBuf, Vec<u8>)>,
    /// Symbolic links and other special files, left out.
    pub skipped: Vec<PathBuf>,
}

impl Snapshot {
    /// Reads every regular file below `dir`, leaving out build output
    /// (`target/`), `.git/`, and anything that is not a plain file or
    /// folder; refuses more than [`MAX_BYTES`] or [`MAX_FILES`].
    pub fn take(dir: &Path) -> Result<Snapshot, String> {
        let mut snapshot =
            Snapshot { dir: dir.to_path_buf(), files: Vec::new(), skipped: Vec::new() };
        let mut total = 0u64;
        let mut pending = vec![PathBuf::new()];
        while let Some(relative) = pending.pop() {
            let entries = fs::read_dir(dir.join(&relative))
                .map_err(|e| format!("cannot read {}: {e}", dir.join(&relative).display()))?;
            for entry in entries.flatten() {
                let path = relative.join(entry.file_name());
                let Ok(kind) = entry.file_type() else { continue };
                if kind.is_dir() {
                    if entry.file_name() != "target" && entry.file_name() != ".git" {
                        pending.push(path);
                    }
                } else if kind.is_file() {
                    let bytes = fs::read(entry.path())
                        .map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?;
                    total += bytes.len() as u64;
                    snapshot.files.push((path, bytes));
                    if total > MAX_BYTES || snapshot.files.len() > MAX_FILES {
                        return Err(format!(
                            "{} holds more than {} MB or {MAX_FILES} files (build output left out)",
                            dir.display(),
                            MAX_BYTES / 1024 / 1024
                        ));
                    }
                } else {
                    snapshot.skipped.push(path);
                }
            }
        }
        snapshot.files.sort();
        Ok(snapshot)
    }

    /// Writes the files into `dest`, which is emptied first. Every file is
    /// written anew, so cargo sees all of them as changed.
    pub fn write_to(&self, dest: &Path) -> std::io::Result<()> {
        if dest.exists() {
            fs::remove_dir_all(dest)?;
        }
        fs::create_dir_all(dest)?;
        for (relative, bytes) in &self.files {
            let path = dest.join(relative);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, bytes)?;
        }
        Ok(())
    }

    /// Sets every file's modification time to now, for a build that must
    /// not be taken as up to date.
    pub fn touch(&self, dest: &Path) -> std::io::Result<()> {
        let now = std::time::SystemTime::now();
        for (relative, _) in &self.files {
            fs::File::options().write(true).open(dest.join(relative))?.set_modified(now)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps;

    #[test]
    fn the_exercise_is_found_where_students_put_it() {
        let step = steps::find("01").unwrap();
        let root = tempfile::tempdir().unwrap();
        let make = |dir: &Path, name: &str| {
            fs::create_dir_all(dir).unwrap();
            fs::write(dir.join("Cargo.toml"), format!("[package]\nname = \"{name}\"\n")).unwrap();
        };
        let kit = root.path().join("kit");
        make(&kit.join("exercises/01-hardcoded"), "step01");
        assert_eq!(find(&kit, step).unwrap(), kit.join("exercises/01-hardcoded"));
        let zip = root.path().join("zip");
        make(&zip.join("authlings-main/exercises/01-hardcoded"), "step01");
        assert_eq!(find(&zip, step).unwrap(), zip.join("authlings-main/exercises/01-hardcoded"));
        let bare = root.path().join("bare");
        make(&bare, "step01");
        assert_eq!(find(&bare, step).unwrap(), bare);
        let other = root.path().join("other");
        make(&other, "something-else");
        assert!(find(&other, step).unwrap_err().contains("no exercises/01-hardcoded/Cargo.toml"));
        assert!(find(&root.path().join("missing"), step).unwrap_err().contains("does not exist"));
    }

    #[test]
    fn a_snapshot_leaves_out_build_output_and_links() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src")).unwrap();
        fs::create_dir_all(dir.path().join("target/debug")).unwrap();
        fs::write(dir.path().join("Cargo.toml"), "x").unwrap();
        fs::write(dir.path().join("src/lib.rs"), "y").unwrap();
        fs::write(dir.path().join("target/debug/big"), "z").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("src/link.rs")).unwrap();
        let snapshot = Snapshot::take(dir.path()).unwrap();
        let out = tempfile::tempdir().unwrap();
        snapshot.write_to(&out.path().join("copy")).unwrap();
        assert!(out.path().join("copy/src/lib.rs").is_file());
        assert!(!out.path().join("copy/target").exists());
        assert!(!out.path().join("copy/src/link.rs").exists());
        assert_eq!(snapshot.skipped, [PathBuf::from("src/link.rs")]);
    }
}
