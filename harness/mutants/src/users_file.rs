//! Step 02's accounts, kept by step 03 too: `$DATA_DIR/users.json`, a JSON
//! object from lower-cased username to record, replaced whole at every
//! write. The flaws about that file live here.

use std::{
    collections::BTreeMap,
    io::{self, Write},
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};

use crate::{
    passwords,
    s01::new_id,
    s02::{Accounts, BoxFuture, RegisterError},
};

/// One account in `users.json`.
#[derive(Clone, Deserialize, Serialize)]
struct Record {
    username: String,
    password_hash: String,
    created_at: u64,
    /// Only the `password-in-file` flaw writes this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

type Users = BTreeMap<String, Record>;

pub(crate) struct FileAccounts {
    flaw: &'static str,
    users_file: PathBuf,
    /// Held across every read-modify-write of `users.json`.
    file_lock: tokio::sync::Mutex<()>,
}

impl FileAccounts {
    pub(crate) fn new(data_dir: &Path, flaw: &'static str) -> Self {
        Self {
            flaw,
            users_file: data_dir.join("users.json"),
            file_lock: tokio::sync::Mutex::default(),
        }
    }

    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("02", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    async fn read_users(&self) -> io::Result<Users> {
        parse_users(tokio::fs::read(&self.users_file).await)
    }

    /// The record of `username` (compared without case), read under the lock.
    async fn find(&self, username: &str) -> io::Result<Option<Record>> {
        let _guard = self.file_lock.lock().await;
        let mut users = self.read_users().await?;
        Ok(users.remove(&username.to_lowercase()))
    }

    /// Whether `username` has an account.
    fn is_taken(&self, users: &Users, username: &str) -> bool {
        if self.has("taken-case") {
            users.values().any(|record| record.username == username)
        } else {
            users.contains_key(&username.to_lowercase())
        }
    }

    /// Creates the account; returns its username.
    async fn create(&self, username: &str, password: &str) -> Result<String, RegisterError> {
        // A quick look first, so that a taken name costs no hashing. No
        // lock: the test that counts is made again under it.
        if self.read_users().await.is_ok_and(|users| self.is_taken(&users, username)) {
            return Err(RegisterError::Taken);
        }
        // Hashing is slow: it runs before the lock is taken (but see
        // `non-atomic-write`, which only waits for it under the lock).
        let (flaw, secret) = (self.flaw, password.to_owned());
        let hashing = tokio::task::spawn_blocking(move || passwords::make_hash(flaw, &secret));
        let early =
            if self.has("non-atomic-write") { Err(hashing) } else { Ok(finished(hashing).await?) };
        let _guard =
            if self.has("lost-registrations") { None } else { Some(self.file_lock.lock().await) };
        let users = if self.has("non-atomic-write") {
            // Read (and below, emptied) the moment the lock is held, with
            // no hop to another thread, so that the file is broken for as
            // long as registrations are waiting for the lock.
            parse_users(std::fs::read(&self.users_file))
        } else {
            self.read_users().await
        };
        let mut users = users.map_err(RegisterError::Storage)?;
        if self.has("lost-registrations") {
            // Whatever another registration writes meanwhile is overwritten.
            let pause = 5 + u64::from(rand::random::<u8>() % 16);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        if self.is_taken(&users, username) {
            return Err(RegisterError::Taken);
        }
        let password_hash = match early {
            Ok(hash) => hash,
            Err(hashing) => {
                // `non-atomic-write` empties users.json before it even has
                // the hash; the file stays broken until its last byte.
                std::fs::write(&self.users_file, b"").map_err(RegisterError::Storage)?;
                finished(hashing).await?
            }
        };
        let record = Record {
            username: username.to_lowercase(),
            password_hash,
            created_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            password: self.has("password-in-file").then(|| password.to_owned()),
        };
        // With `taken-case`, `ALICE` gets here and leaves alice's record as
        // it is, but is signed in as alice below.
        users.entry(username.to_lowercase()).or_insert(record.clone());
        let written = if self.has("non-atomic-write") {
            write_torn(&self.users_file, &users).await
        } else {
            write_atomically(&self.users_file, &users).await
        };
        written.map_err(RegisterError::Storage)?;
        Ok(record.username)
    }
}

impl Accounts for FileAccounts {
    fn check_password<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, io::Result<Option<String>>> {
        Box::pin(async move {
            // An unreadable file is no account, as in step 02 from the start.
            let record = self.find(username).await.unwrap_or_else(|error| {
                eprintln!("mutant: cannot read users.json: {error}");
                None
            });
            let stored = record.as_ref().map(|r| r.password_hash.clone());
            let matches = passwords::matches(self.flaw, password, stored).await;
            Ok(record.filter(|_| matches).map(|record| record.username))
        })
    }

    fn register<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<String, RegisterError>> {
        Box::pin(self.create(username, password))
    }
}

/// The hash a `spawn_blocking` task made.
async fn finished(
    hashing: tokio::task::JoinHandle<io::Result<String>>,
) -> Result<String, RegisterError> {
    hashing.await.map_err(io::Error::other).and_then(|hash| hash).map_err(RegisterError::Storage)
}

/// The accounts in `users.json` as read; none when it does not exist.
fn parse_users(read: io::Result<Vec<u8>>) -> io::Result<Users> {
    match read {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(io::Error::other),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Users::new()),
        Err(error) => Err(error),
    }
}

/// Temporary file in the same folder, fsync, rename over `path`, fsync the
/// folder: a crash leaves the old file or the new one, never half of one.
async fn write_atomically(path: &Path, users: &Users) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(users)?;
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = path.parent().unwrap_or(Path::new("."));
        let temporary = dir.join(format!(".users.json.{}.tmp", new_id()));
        let written = (|| {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temporary)?;
            file.write_all(&json)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    })
    .await
    .map_err(io::Error::other)?
}

/// The `non-atomic-write` flaw: rewrites `users.json` in place, in two
/// halves 100 ms apart, so a kill in between leaves half a JSON object.
async fn write_torn(path: &Path, users: &Users) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(users)?;
    let (first, second) = json.split_at(json.len() / 2);
    tokio::fs::write(path, first).await?;
    // Much longer, and 20 registrations in a row outlast the harness's 5 s.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn users_json_is_replaced_whole() {
        let dir = std::env::temp_dir().join(format!("mutant-s02-{}", new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users.json");
        let mut users = Users::new();
        for name in ["amy", "ben"] {
            let record = Record {
                username: name.into(),
                password_hash: "h".into(),
                created_at: 1,
                password: None,
            };
            users.insert(name.into(), record);
            write_atomically(&path, &users).await.unwrap();
        }
        let back: Users = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back.len(), 2);
        assert!(!std::fs::read_to_string(&path).unwrap().contains("password\""));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
