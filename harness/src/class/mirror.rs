//! Copies of the instructor's kit: the build kit the class is compiled in,
//! and the kit a Gradescope bundle carries.
//!
//! A mirror writes only the files whose contents differ and leaves the
//! others untouched, modification time included: cargo decides what to
//! rebuild by those times, so a kit mirrored again compiles nothing new.

use std::{
    collections::BTreeSet,
    fs, io,
    path::{Path, PathBuf},
};

use serde::Deserialize;

/// Folders never copied: build output and version control.
const SKIPPED: &[&str] = &["target", ".git"];

/// Makes `to` hold exactly the files below `from` (with the `SKIPPED`
/// folders left out), writing only what differs.
pub fn mirror(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    let mut wanted = BTreeSet::new();
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if SKIPPED.iter().any(|s| name == *s) {
            continue;
        }
        let source = entry.path();
        let dest = to.join(&name);
        // The instructor's own kit: symbolic links are followed.
        let metadata = fs::metadata(&source)?;
        if metadata.is_dir() {
            if dest.is_file() || dest.is_symlink() {
                fs::remove_file(&dest)?;
            }
            mirror(&source, &dest)?;
        } else {
            copy_if_different(&source, &dest)?;
        }
        wanted.insert(name);
    }
    for entry in fs::read_dir(to)? {
        let entry = entry?;
        if !wanted.contains(&entry.file_name()) {
            remove(&entry.path())?;
        }
    }
    Ok(())
}

/// Copies one file unless `dest` already holds the same bytes.
pub fn copy_if_different(source: &Path, dest: &Path) -> io::Result<()> {
    let bytes = fs::read(source)?;
    if dest.is_dir() {
        fs::remove_dir_all(dest)?;
    }
    if fs::read(dest).ok().as_deref() == Some(bytes.as_slice()) {
        return Ok(());
    }
    fs::write(dest, &bytes)?;
    let mode = fs::metadata(source)?.permissions();
    fs::set_permissions(dest, mode)
}

fn remove(path: &Path) -> io::Result<()> {
    if path.is_dir() && !path.is_symlink() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

#[derive(Deserialize)]
struct Manifest {
    workspace: Workspace,
}

#[derive(Deserialize)]
struct Workspace {
    members: Vec<String>,
}

/// What of the kit a build needs, from its root: the workspace's manifest
/// and lock file, the top folder of every member (`exercises/*` gives
/// `exercises`), and `fixtures/`, which the steps compile in.
pub fn kit_parts(kit_root: &Path) -> io::Result<Vec<PathBuf>> {
    let manifest = fs::read_to_string(kit_root.join("Cargo.toml"))?;
    let manifest: Manifest = toml::from_str(&manifest)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("Cargo.toml: {e}")))?;
    let mut parts = BTreeSet::from([
        PathBuf::from("Cargo.toml"),
        PathBuf::from("Cargo.lock"),
        PathBuf::from("fixtures"),
    ]);
    for member in &manifest.workspace.members {
        if let Some(top) = Path::new(member).components().next() {
            parts.insert(PathBuf::from(top.as_os_str()));
        }
    }
    Ok(parts.into_iter().collect())
}

/// Mirrors the parts of the kit at `kit_root` that a build needs into `to`.
pub fn mirror_kit(kit_root: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for part in kit_parts(kit_root)? {
        let source = kit_root.join(&part);
        if source.is_dir() {
            mirror(&source, &to.join(&part))?;
        } else if source.is_file() {
            copy_if_different(&source, &to.join(&part))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mirror_rewrites_only_what_differs_and_removes_the_rest() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        fs::create_dir_all(from.path().join("src/target")).unwrap();
        fs::write(from.path().join("src/a.rs"), "a").unwrap();
        fs::write(from.path().join("src/b.rs"), "b").unwrap();
        fs::write(from.path().join("src/target/big"), "x").unwrap();
        mirror(from.path(), to.path()).unwrap();
        let a = to.path().join("src/a.rs");
        let before = fs::metadata(&a).unwrap().modified().unwrap();
        fs::write(from.path().join("src/b.rs"), "b2").unwrap();
        fs::write(to.path().join("src/extra.rs"), "gone").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        mirror(from.path(), to.path()).unwrap();
        assert_eq!(fs::metadata(&a).unwrap().modified().unwrap(), before);
        assert_eq!(fs::read_to_string(to.path().join("src/b.rs")).unwrap(), "b2");
        assert!(!to.path().join("src/extra.rs").exists());
        assert!(!to.path().join("src/target").exists());
    }
}
