//! Sessions as files: `$DATA_DIR/sessions/<id>.json`, a JSON object with
//! `username`, `expires_at` and `ends_at`, mode 0600, written atomically.

use std::{
    fs, io,
    io::Write,
    os::unix::fs::{DirBuilderExt, PermissionsExt},
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::session_id::SessionId;

// ANCHOR: record
/// What a session file holds. Never a password: only who is signed in and
/// until when.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub struct Record {
    pub username: String,
    /// Unix seconds: the end unless it is used again (`SESSION_TTL_SECS`).
    pub expires_at: i64,
    /// Unix seconds: the end however much it is used, set at sign-in
    /// (`SESSION_ABSOLUTE_TTL_SECS`, 12 hours). No renewal passes it.
    pub ends_at: i64,
}

impl Record {
    /// A new session for `username`, signed in now.
    pub fn new(username: &str, ttl: i64, absolute_ttl: i64) -> Self {
        let now = now();
        let ends_at = now.saturating_add(absolute_ttl);
        let expires_at = now.saturating_add(ttl).min(ends_at);
        Self { username: username.to_owned(), expires_at, ends_at }
    }

    /// The same session, used now: another `ttl`, but never past `ends_at`.
    pub fn renewed(self, ttl: i64) -> Self {
        Self { expires_at: now().saturating_add(ttl).min(self.ends_at), ..self }
    }

    pub fn expired(&self) -> bool {
        self.expires_at.min(self.ends_at) <= now()
    }
}
// ANCHOR_END: record

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Temporary files start with this; a sweep removes any a crash left.
const TEMPORARY_PREFIX: &str = ".tmp-";

pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// The store in `$DATA_DIR/sessions`, created (mode 0700) if missing.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let dir = data_dir.join("sessions");
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
        // Whoever can write this folder can be anyone: a folder that was
        // already there is made private too.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
        Ok(Self { dir })
    }

    /// Only a [`SessionId`] names a file, and an id has no `/`, `.` or NUL:
    /// the path cannot leave the folder.
    fn path(&self, id: &SessionId) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    // ANCHOR: load
    /// The session, if its file exists and it has not expired. An expired
    /// session's file is removed on the spot.
    ///
    /// The file is read right here, on the runtime's thread, not through
    /// `tokio::fs` (which sends every call to another thread and back): a
    /// session file is a few dozen bytes the kernel keeps in memory, and
    /// reading it costs less than the two thread switches would. Writes,
    /// which wait for the disk, still leave the runtime (`save`).
    pub async fn load(&self, id: &SessionId) -> Option<Record> {
        // exercise:cut
        let path = self.path(id);
        let bytes = fs::read(&path).ok()?;
        let record: Record = serde_json::from_slice(&bytes).ok()?;
        if record.expired() {
            let _ = fs::remove_file(&path);
            return None;
        }
        Some(record)
        // exercise:as
        // TODO(step 03): read `<id>.json`, parse it, and refuse (and remove)
        // an expired session. See book/src/03-file-sessions.md, "The file store".
        //~ let _ = (id, Record::expired);
        //~ todo!("load the session file")
        // exercise:end
    }
    // ANCHOR_END: load

    // ANCHOR: save
    /// Writes the session atomically: a temporary file in the same folder,
    /// flushed to disk, then renamed over the real one. A crash at any
    /// moment leaves the old file or the new one, never half of one.
    pub async fn save(&self, id: &SessionId, record: &Record) -> io::Result<()> {
        // exercise:cut
        let (dir, path) = (self.dir.clone(), self.path(id));
        let json = serde_json::to_vec(record)?;
        tokio::task::spawn_blocking(move || {
            // tempfile creates the file with mode 0600.
            let mut temporary =
                tempfile::Builder::new().prefix(TEMPORARY_PREFIX).tempfile_in(&dir)?;
            temporary.write_all(&json)?;
            temporary.as_file().sync_all()?;
            temporary.persist(&path).map_err(|e| e.error)?;
            // The rename is durable once the folder is synced; it has
            // happened either way, so a failure here is only reported.
            if let Err(error) = fs::File::open(&dir).and_then(|folder| folder.sync_all()) {
                tracing::warn!(%error, "cannot sync {}", dir.display());
            }
            Ok(())
        })
        .await
        .map_err(io::Error::other)?
        // exercise:as
        // TODO(step 03): write `record` as JSON to a temporary file in
        // `self.dir` (mode 0600), flush it, and rename it to `<id>.json`.
        // See book/src/03-file-sessions.md, "The file store".
        //~ let _ = (id, record, TEMPORARY_PREFIX);
        //~ todo!("save the session file atomically")
        // exercise:end
    }
    // ANCHOR_END: save

    /// Removes the session's file; a file already gone is no error.
    pub async fn delete(&self, id: &SessionId) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(id)).await {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }

    // ANCHOR: sweep
    /// Removes expired sessions nobody came back for, and temporary files a
    /// crash left behind. Returns how many files went.
    pub async fn sweep(&self) -> io::Result<usize> {
        let mut removed = 0;
        let mut entries = tokio::fs::read_dir(&self.dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = if name.starts_with(TEMPORARY_PREFIX) {
                // Old enough that no write can still be under way.
                let modified = entry.metadata().await?.modified()?;
                SystemTime::now().duration_since(modified).unwrap_or_default()
                    > Duration::from_secs(60)
            } else if name.ends_with(".json") {
                let bytes = tokio::fs::read(entry.path()).await.unwrap_or_default();
                serde_json::from_slice::<Record>(&bytes).is_ok_and(|record| record.expired())
            } else {
                false
            };
            if stale && tokio::fs::remove_file(entry.path()).await.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
    // ANCHOR_END: sweep

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The permission bits of a file, for tests and checks.
pub fn mode(path: &Path) -> io::Result<u32> {
    Ok(fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, FileStore) {
        let data = tempfile::tempdir().unwrap();
        let store = FileStore::open(data.path()).unwrap();
        (data, store)
    }

    fn record(seconds_left: i64) -> Record {
        Record { username: "alice".into(), expires_at: now() + seconds_left, ends_at: now() + 600 }
    }

    #[test]
    fn renewals_never_pass_the_absolute_end() {
        let fresh = Record::new("alice", 60, 90);
        assert_eq!(fresh.ends_at - fresh.expires_at, 30);
        let later = Record { expires_at: fresh.expires_at - 50, ends_at: now() + 10, ..fresh };
        let renewed = later.renewed(60);
        assert_eq!(renewed.expires_at, renewed.ends_at);
        let over = Record { ends_at: now() - 1, ..renewed };
        assert!(over.expired(), "past ends_at, however fresh expires_at is");
        assert!(!Record::new("bob", 60, 43_200).expired());
    }

    #[tokio::test]
    async fn a_saved_session_loads_from_a_private_file_and_nothing_else_is_left() {
        let (_data, store) = store();
        let id = SessionId::generate();
        let later = record(90);
        store.save(&id, &record(60)).await.unwrap();
        store.save(&id, &later).await.unwrap();
        assert_eq!(store.load(&id).await, Some(later));
        let path = store.dir().join(format!("{id}.json"));
        assert_eq!(mode(&path).unwrap(), 0o600);
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 1, "no temporary file left");
        let json: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        assert_eq!(json["username"], "alice");
    }

    #[tokio::test]
    async fn an_expired_session_is_refused_and_its_file_removed() {
        let (_data, store) = store();
        let id = SessionId::generate();
        store.save(&id, &record(-1)).await.unwrap();
        assert_eq!(store.load(&id).await, None);
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn the_sweep_removes_only_expired_sessions() {
        let (_data, store) = store();
        let (old, live) = (SessionId::generate(), SessionId::generate());
        store.save(&old, &record(-5)).await.unwrap();
        let kept = record(60);
        store.save(&live, &kept).await.unwrap();
        assert_eq!(store.sweep().await.unwrap(), 1);
        assert_eq!(store.load(&live).await, Some(kept));
    }

    #[tokio::test]
    async fn deleting_twice_is_fine() {
        let (_data, store) = store();
        let id = SessionId::generate();
        store.save(&id, &record(60)).await.unwrap();
        store.delete(&id).await.unwrap();
        store.delete(&id).await.unwrap();
        assert_eq!(store.load(&id).await, None);
    }
}
