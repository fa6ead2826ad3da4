//! Step 03 (`03-file-sessions`), written from `book/src/contract.md` alone: step 02's
//! server on sessions kept as JSON files in `$DATA_DIR/sessions/`, behind a
//! cookie `<id>.<sig>` signed with HMAC-SHA256 by hand. Every deliberate
//! flaw is one `if self.has("...")` away from the correct code.

use std::{
    collections::HashMap,
    fs, io,
    io::Write,
    os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{Router, http::HeaderMap};
use base64::{
    Engine,
    engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD},
};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{
    Config,
    s01::{same_bytes, session_cookie},
    s02::{self, BoxFuture, SessionStore},
    users_file::FileAccounts,
};

/// The contract's shortest `SESSION_SECRET`, in bytes.
const SHORTEST_SECRET: usize = 32;
/// Session ids: 22 characters hold 128 bits; a file name stays short.
const ID_LENGTHS: std::ops::RangeInclusive<usize> = 22..=200;
/// Temporary files start with this, so that they never look like a session.
const TEMPORARY_PREFIX: &str = ".tmp-";
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Locks by id, a stripe of ids to a lock.
const STRIPES: usize = 16;

/// What a session file holds: who, until when unless used again, and when
/// at the latest however much it is used (Unix seconds).
#[derive(Clone, Deserialize, Serialize)]
struct Record {
    username: String,
    expires_at: i64,
    ends_at: i64,
}

impl Record {
    fn expired(&self, flaw: &str) -> bool {
        let end = if flaw == "renewal-past-end" { i64::MAX } else { self.ends_at };
        self.expires_at.min(end) <= now()
    }
}

struct FileSessions {
    flaw: &'static str,
    dir: PathBuf,
    key: Vec<u8>,
    /// `SESSION_TTL_SECS`.
    ttl: i64,
    /// `SESSION_ABSOLUTE_TTL_SECS`.
    absolute_ttl: i64,
    /// Held while one id's file is read and renewed, or removed: a renewal
    /// cannot write back a session that a sign-out has just removed.
    stripes: Vec<tokio::sync::Mutex<()>>,
    /// The `non-atomic-session-write` flaw writes one file at a time.
    one_writer: tokio::sync::Mutex<()>,
    /// The `short-ids` flaw's last id.
    counter: Mutex<u64>,
    /// The `memory-sessions` flaw's sessions, the only ones it believes.
    memory: Mutex<HashMap<String, Record>>,
}

/// Step 03's server: refuses to start without a good `SESSION_SECRET`.
pub fn app(config: Config, flaw: &'static str) -> Result<Router, String> {
    let key = secret(&config, flaw)?;
    let dir = config.data_dir.join("sessions");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .and_then(|()| fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)))
        .map_err(|e| format!("cannot make the sessions folder {}: {e}", dir.display()))?;
    let sessions = Arc::new(FileSessions {
        key,
        flaw,
        dir,
        ttl: i64::try_from(config.session_ttl.as_secs()).unwrap_or(i64::MAX),
        absolute_ttl: i64::try_from(config.session_absolute_ttl.as_secs()).unwrap_or(i64::MAX),
        stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::default()).collect(),
        one_writer: tokio::sync::Mutex::default(),
        counter: Mutex::default(),
        memory: Mutex::default(),
    });
    // At start no write can be under way: every temporary file is a
    // crash's leftover. Later, only old ones are.
    sessions.sweep(Duration::ZERO);
    let sweeper = sessions.clone();
    tokio::spawn(async move {
        let mut ticks =
            tokio::time::interval_at(tokio::time::Instant::now() + SWEEP_EVERY, SWEEP_EVERY);
        loop {
            ticks.tick().await;
            sweeper.sweep(SWEEP_EVERY);
        }
    });
    let stores = s02::Stores {
        accounts: Box::new(FileAccounts::new(&config.data_dir, flaw)),
        sessions: Box::new(sessions),
        remember: None,
    };
    Ok(s02::router(config, flaw, stores))
}

/// The HMAC key: the bytes of `SESSION_SECRET`.
fn secret(config: &Config, flaw: &str) -> Result<Vec<u8>, String> {
    let how = "set it to at least 32 random characters";
    let secret = match &config.session_secret {
        None => {
            return Err(format!("SESSION_SECRET is not set: step 03 signs cookies with it; {how}"));
        }
        Some(secret) if secret.len() < SHORTEST_SECRET => {
            return Err(format!("SESSION_SECRET has {} bytes; {how}", secret.len()));
        }
        Some(secret) => secret.as_bytes().to_vec(),
    };
    if flaw == "secret-in-data-dir" {
        // Kept "for convenience": from now on the environment is ignored.
        let file = config.data_dir.join("secret");
        return match fs::read(&file) {
            Ok(stored) => Ok(stored),
            Err(_) => fs::write(&file, &secret)
                .map(|()| secret)
                .map_err(|e| format!("cannot write {}: {e}", file.display())),
        };
    }
    Ok(secret)
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether `text` may be a session id: `[A-Za-z0-9_-]{22,}` (and not absurdly long).
fn is_id(text: &str) -> bool {
    ID_LENGTHS.contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl FileSessions {
    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("03", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    /// The `session` cookie, when the request has exactly one: with two
    /// (one may be a sibling subdomain's), the request is signed out.
    fn session_cookie<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        let first = session_cookie(headers)?;
        let count = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == crate::s01::COOKIE_NAME)
            .count();
        (count == 1 || self.has("first-session-cookie")).then_some(first)
    }

    // ------------------------------------------------------------ the cookie

    /// The unpadded URL-safe base64 of HMAC-SHA256(key, id).
    fn signature(&self, id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(id.as_bytes());
        if self.has("sig-over-wrong-bytes") {
            mac.update(b"\n");
        }
        let tag = mac.finalize().into_bytes();
        if self.has("padded-base64") { URL_SAFE.encode(tag) } else { URL_SAFE_NO_PAD.encode(tag) }
    }

    /// The id of a cookie value that is signed and well formed; `None`
    /// otherwise, before any file is opened.
    fn verify(&self, value: &str) -> Option<String> {
        let (id, sig) = match value.rsplit_once('.') {
            Some(parts) => parts,
            None if self.has("no-signature-check") => (value, ""),
            None => return None,
        };
        if !is_id(id) && !self.has("id-unchecked") {
            return None;
        }
        // Compared in constant time: every byte, whatever the first difference.
        let signed = self.has("no-signature-check")
            || same_bytes(self.signature(id).as_bytes(), sig.as_bytes())
            || (self.has("signature-of-any-session") && self.signs_a_session(sig));
        signed.then(|| id.to_owned())
    }

    /// The `signature-of-any-session` flaw: `sig` is some session's signature.
    fn signs_a_session(&self, sig: &str) -> bool {
        fs::read_dir(&self.dir).into_iter().flatten().flatten().any(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json").is_some_and(|id| self.signature(id) == sig)
        })
    }

    fn cookie_value(&self, id: &str) -> String {
        format!("{id}.{}", self.signature(id))
    }

    async fn new_id(&self) -> String {
        if self.has("short-ids") {
            // Read, look at the disk, then count on: two sign-ins at once
            // read the same number.
            let next = *lock(&self.counter) + 1;
            let id = format!("session-{next:015}");
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = tokio::fs::try_exists(self.path(&id)).await;
            *lock(&self.counter) = next;
            return id;
        }
        let bytes: [u8; 16] = rand::random();
        URL_SAFE_NO_PAD.encode(bytes)
    }

    // ------------------------------------------------------------ the files

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    async fn lock_id(&self, id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let stripe = id.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
        self.stripes[stripe % STRIPES].lock().await
    }

    fn parse(&self, bytes: &[u8]) -> Option<Record> {
        if self.has("private-format") {
            let json: serde_json::Value = serde_json::from_slice(bytes).ok()?;
            let username = json["user"].as_str()?.to_owned();
            let (expires_at, ends_at) = (json["exp"].as_i64()?, json["end"].as_i64()?);
            return Some(Record { username, expires_at, ends_at });
        }
        serde_json::from_slice(bytes).ok()
    }

    /// The session, if its file is there and it has not expired; an expired
    /// session's file is removed then and there.
    async fn load(&self, id: &str) -> Option<Record> {
        let record = if self.has("memory-sessions") {
            lock(&self.memory).get(id).cloned()?
        } else {
            self.parse(&tokio::fs::read(self.path(id)).await.ok()?)?
        };
        if record.expired(self.flaw) && !self.has("expiry-only-in-cookie") {
            if !self.has("expired-file-kept") {
                self.delete(id).await;
            }
            return None;
        }
        Some(record)
    }

    /// Writes the session atomically: a temporary file in the same folder,
    /// synced, renamed over the real one, the folder synced.
    async fn save(&self, id: &str, record: &Record) -> io::Result<()> {
        if self.has("memory-sessions") {
            lock(&self.memory).insert(id.to_owned(), record.clone());
        }
        let json = if self.has("private-format") {
            // The contract's fields for show, and the ones it reads.
            let Record { username, expires_at, ends_at } = record;
            serde_json::json!({
                "username": username, "expires_at": expires_at, "ends_at": ends_at,
                "user": username, "exp": expires_at, "end": ends_at
            })
            .to_string()
            .into_bytes()
        } else {
            serde_json::to_vec(record)?
        };
        let mode = if self.has("world-readable") { 0o644 } else { 0o600 };
        let path = self.path(id);
        if self.has("non-atomic-session-write") {
            return self.write_torn(&path, &json, mode).await;
        }
        let (dir, copy) = (self.dir.clone(), self.has("temp-files-left"));
        tokio::task::spawn_blocking(move || {
            let temporary = dir.join(format!("{TEMPORARY_PREFIX}{}", crate::s01::new_id()));
            let written = (|| {
                let mut file = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(mode)
                    .open(&temporary)?;
                // Whatever the umask says.
                file.set_permissions(fs::Permissions::from_mode(mode))?;
                file.write_all(&json)?;
                file.sync_all()?;
                if copy {
                    return fs::copy(&temporary, &path).map(drop);
                }
                fs::rename(&temporary, &path)?;
                fs::File::open(&dir)?.sync_all()
            })();
            if written.is_err() {
                let _ = fs::remove_file(&temporary);
            }
            written
        })
        .await
        .map_err(io::Error::other)?
    }

    /// The `non-atomic-session-write` flaw: one file at a time, rewritten in
    /// place in two halves 80 ms apart; a kill in between leaves half.
    async fn write_torn(&self, path: &Path, json: &[u8], mode: u32) -> io::Result<()> {
        let _one_at_a_time = self.one_writer.lock().await;
        let (first, second) = json.split_at(json.len() / 2);
        let mut file =
            fs::OpenOptions::new().write(true).create(true).truncate(true).mode(mode).open(path)?;
        file.write_all(first)?;
        tokio::time::sleep(Duration::from_millis(80)).await;
        file.write_all(second)
    }

    async fn delete(&self, id: &str) {
        lock(&self.memory).remove(id);
        if let Err(error) = tokio::fs::remove_file(self.path(id)).await
            && error.kind() != io::ErrorKind::NotFound
        {
            eprintln!("mutant: cannot remove session {id}: {error}");
        }
    }

    /// Removes expired sessions nobody came back for, and temporary files
    /// older than `grace` (a crash's leftovers).
    fn sweep(&self, grace: Duration) {
        let mut removed = 0;
        for entry in fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = if name.starts_with(TEMPORARY_PREFIX) {
                let age = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|modified| SystemTime::now().duration_since(modified).ok());
                !self.has("temp-files-left") && age.is_some_and(|age| age >= grace)
            } else if name.ends_with(".json") && !self.has("expiry-only-in-cookie") {
                let record = fs::read(entry.path()).ok().and_then(|bytes| self.parse(&bytes));
                record.is_some_and(|record| record.expired(self.flaw))
            } else {
                false
            };
            if stale && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        if removed > 0 {
            eprintln!("mutant: swept {removed} stale session files");
        }
    }
}

impl SessionStore for Arc<FileSessions> {
    fn current_user<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let id = self.verify(self.session_cookie(headers)?)?;
            let _guard = self.lock_id(&id).await;
            let record = self.load(&id).await?;
            // Sliding expiry, never past ends_at; renewed at most every
            // tenth of the TTL.
            let end = if self.has("renewal-past-end") { i64::MAX } else { record.ends_at };
            if record.expires_at - now() < self.ttl - self.ttl / 10 && record.expires_at < end {
                let expires_at = now().saturating_add(self.ttl).min(end);
                let renewed = Record { expires_at, ..record };
                if let Err(error) = self.save(&id, &renewed).await {
                    eprintln!("mutant: cannot renew a session: {error}");
                }
                return Some(renewed.username);
            }
            Some(record.username)
        })
    }

    fn sign_in<'a>(
        &'a self,
        username: &'a str,
        headers: &'a HeaderMap,
        // Always SESSION_TTL_SECS: step 03 has no remember-me.
        _lifetime: Duration,
    ) -> BoxFuture<'a, io::Result<String>> {
        Box::pin(async move {
            // The session the browser had is over, whoever it was.
            if let Some(old) = self.session_cookie(headers).and_then(|value| self.verify(value)) {
                let _guard = self.lock_id(&old).await;
                self.delete(&old).await;
            }
            let id = self.new_id().await;
            let ends_at = now().saturating_add(self.absolute_ttl);
            let record = Record {
                username: username.to_owned(),
                expires_at: now().saturating_add(self.ttl).min(ends_at),
                ends_at,
            };
            self.save(&id, &record).await?;
            Ok(self.cookie_value(&id))
        })
    }

    fn sign_out<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(id) = self.session_cookie(headers).and_then(|value| self.verify(value)) else {
                return;
            };
            let _guard = self.lock_id(&id).await;
            if self.has("logout-keeps-file") {
                // Marked expired, to be removed "later".
                if let Some(record) = self.load(&id).await {
                    let _ = self.save(&id, &Record { expires_at: 0, ..record }).await;
                }
                return;
            }
            self.delete(&id).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(flaw: &'static str) -> FileSessions {
        FileSessions {
            flaw,
            dir: std::env::temp_dir(),
            key: b"0123456789abcdef0123456789abcdef".to_vec(),
            ttl: 60,
            absolute_ttl: 600,
            stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::default()).collect(),
            one_writer: tokio::sync::Mutex::default(),
            counter: Mutex::default(),
            memory: Mutex::default(),
        }
    }

    #[test]
    fn ids_follow_the_pattern() {
        assert!(is_id("abcdefghijklmnopqrstu-_"));
        for id in ["short", "../evil-aaaaaaaaaaaaaaaaaaaa", "a.b-cccccccccccccccccccccc", ""] {
            assert!(!is_id(id), "{id:?}");
        }
    }

    #[test]
    fn only_the_signed_id_verifies() {
        let s = sessions(mutants::NONE);
        let id = "AAAAAAAAAAAAAAAAAAAAAA";
        let value = s.cookie_value(id);
        assert_eq!(value.len(), 22 + 1 + 43);
        assert_eq!(s.verify(&value).as_deref(), Some(id));
        for bad in [id.to_owned(), format!("{id}."), format!("{value}="), format!("{value}.x")] {
            assert_eq!(s.verify(&bad), None, "{bad}");
        }
        let traversal = s.cookie_value("../evil");
        assert_eq!(s.verify(&traversal), None);
        assert_eq!(sessions("id-unchecked").verify(&traversal).as_deref(), Some("../evil"));
        assert_eq!(sessions("no-signature-check").verify(id).as_deref(), Some(id));
    }

    #[test]
    fn the_signature_is_the_contracts() {
        // Python: urlsafe_b64encode(hmac.new(key, id, sha256).digest()).rstrip("=")
        let expected = "qINTmXDVf-vQrBTLenbfEi7qNPxIdWl1OWKgj8ZNcc0";
        let id = "AAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(sessions(mutants::NONE).signature(id), expected);
        assert_eq!(sessions("padded-base64").signature(id), format!("{expected}="));
        assert_ne!(sessions("sig-over-wrong-bytes").signature(id), expected);
    }
}
