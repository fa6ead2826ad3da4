//! Writing `users.json` so that a crash at any moment leaves either the old
//! file or the new one, never half of one.

use std::{io, io::Write, path::Path};

use serde::Serialize;

/// Writes `value` as JSON to a temporary file beside `path`, flushes it to
/// disk, then renames it over `path`: a rename within one folder is atomic.
pub async fn write_atomically(path: &Path, value: &impl Serialize) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(value)?;
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let dir = path.parent().unwrap_or(Path::new("."));
        // Created with mode 0600: only the server's user can read the hashes.
        let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
        temporary.write_all(&json)?;
        temporary.write_all(b"\n")?;
        temporary.as_file().sync_all()?;
        temporary.persist(&path).map_err(|e| e.error)?;
        // The rename itself is durable once the folder is synced.
        std::fs::File::open(dir)?.sync_all()
    })
    .await
    .map_err(io::Error::other)?
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::write_atomically;

    #[tokio::test]
    async fn writes_private_json_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        write_atomically(&path, &serde_json::json!({"a": 1}))
            .await
            .unwrap();
        write_atomically(&path, &serde_json::json!({"a": 2}))
            .await
            .unwrap();
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(value["a"], 2);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
