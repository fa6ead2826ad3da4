//! `users.json`: a JSON object from lower-cased username to account,
//! written so that a crash at any moment leaves either the old file or the
//! new one, never half of one.

use std::{
    collections::BTreeMap,
    io,
    io::Write,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use serde::Serialize;
use tokio::sync::Mutex;

use super::{Account, StorageError, Taken, UserStore};

pub struct JsonFile {
    file: PathBuf,
    /// Held across the whole read-modify-write of the file, so parallel
    /// registrations are written one after the other and none is lost.
    accounts: Mutex<BTreeMap<String, Account>>,
}

impl JsonFile {
    /// Loads `users.json` from `data_dir`, if there is one. A file that does
    /// not parse stops the server: better than overwriting it.
    pub async fn open(data_dir: &Path) -> Result<Self, StorageError> {
        let file = data_dir.join("users.json");
        remove_leftovers(data_dir);
        let accounts = match tokio::fs::read(&file).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!("{} is not valid JSON ({e}); fix or move it", file.display())
            })?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(error) => return Err(format!("cannot read {}: {error}", file.display()).into()),
        };
        Ok(Self { file, accounts: Mutex::new(accounts) })
    }
}

#[async_trait]
impl UserStore for JsonFile {
    async fn find(&self, username: &str) -> Result<Option<Account>, StorageError> {
        Ok(self.accounts.lock().await.get(username).cloned())
    }

    async fn insert(&self, account: Account) -> Result<Result<(), Taken>, StorageError> {
        let mut accounts = self.accounts.lock().await;
        if accounts.contains_key(&account.username) {
            return Ok(Err(Taken));
        }
        let username = account.username.clone();
        accounts.insert(username.clone(), account);
        if let Err(error) = write_atomically(&self.file, &*accounts).await {
            accounts.remove(&username);
            return Err(error.into());
        }
        Ok(Ok(()))
    }
}

/// The start of a temporary file's name: one a crash left behind is found
/// by it and removed at the next start ([`remove_leftovers`]).
const TEMPORARY_PREFIX: &str = ".users.json.";

/// Removes temporary files a killed server left in `dir`.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMPORARY_PREFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

// ANCHOR: write
/// Writes `value` as JSON to a temporary file beside `path`, flushes it to
/// disk, then renames it over `path`: a rename within one folder is atomic.
async fn write_atomically(path: &Path, value: &impl Serialize) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(value)?;
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let dir = path.parent().unwrap_or(Path::new("."));
        // Created with mode 0600: only the server's user can read the hashes.
        let mut temporary = tempfile::Builder::new().prefix(TEMPORARY_PREFIX).tempfile_in(dir)?;
        temporary.write_all(&json)?;
        temporary.write_all(b"\n")?;
        temporary.as_file().sync_all()?;
        temporary.persist(&path).map_err(|e| e.error)?;
        // The rename is durable once the folder is synced. It has happened
        // either way, so a failure here is reported, not undone.
        if let Err(error) = std::fs::File::open(dir).and_then(|folder| folder.sync_all()) {
            tracing::warn!(%error, "cannot sync {}", dir.display());
        }
        Ok(())
    })
    .await
    .map_err(io::Error::other)?
}
// ANCHOR_END: write

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::write_atomically;

    #[tokio::test]
    async fn writes_private_json_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        write_atomically(&path, &serde_json::json!({"a": 1})).await.unwrap();
        write_atomically(&path, &serde_json::json!({"a": 2})).await.unwrap();
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(value["a"], 2);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
