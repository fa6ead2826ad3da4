//! The accounts people register: `users.json` in `DATA_DIR`, a JSON object
//! from lower-cased username to record, the password only ever as an
//! argon2id hash.

mod file;
pub mod password;
pub mod rules;

use std::{
    collections::BTreeMap,
    io,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::Mutex;

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Account {
    pub username: String,
    /// An argon2id PHC string: algorithm, parameters, salt and hash.
    pub password_hash: String,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Debug)]
pub enum RegisterError {
    /// The name or password breaks a rule; the reason is for the user.
    Invalid(&'static str),
    Taken,
    Storage(io::Error),
}

pub struct Accounts {
    file: PathBuf,
    /// Held across the whole read-modify-write of the file, so parallel
    /// registrations are written one after the other and none is lost.
    accounts: Mutex<BTreeMap<String, Account>>,
}

/// Verified against when the username is unknown, so that an unknown name
/// costs the same argon2 work as a wrong password. It is the hash of 32
/// random bytes that were thrown away: no password matches it.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$dmd1viD2ImSMUjsgc/f7wQ$eituz3poQX3Ea0RVWj9P/hV+Ml5NQSACD4v0/sswxqk";

impl Accounts {
    /// Loads `users.json` from `data_dir`, if there is one. A file that does
    /// not parse stops the server: better than overwriting it.
    pub async fn open(data_dir: &Path) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let file = data_dir.join("users.json");
        file::remove_leftovers(data_dir);
        let accounts = match tokio::fs::read(&file).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!("{} is not valid JSON ({e}); fix or move it", file.display())
            })?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(error) => return Err(format!("cannot read {}: {error}", file.display()).into()),
        };
        Ok(Self { file, accounts: Mutex::new(accounts) })
    }

    // ANCHOR: verify
    /// The account's username, when `password` is its password.
    pub async fn verify(&self, username: &str, password: &str) -> Option<String> {
        // No account has a name or password outside the rules: refuse those
        // after the same hashing work, without hashing megabytes of input.
        if rules::check_username(username).is_err()
            || password.chars().count() > rules::MAX_PASSWORD
        {
            password::verify("", DUMMY_HASH).await;
            return None;
        }
        let account = self.accounts.lock().await.get(&key(username)).cloned();
        let hash = account.as_ref().map_or(DUMMY_HASH, |a| a.password_hash.as_str());
        let matches = password::verify(password, hash).await;
        account.filter(|_| matches).map(|account| account.username)
    }
    // ANCHOR_END: verify

    // ANCHOR: register
    /// Creates an account and returns its username.
    pub async fn register(&self, username: &str, password: &str) -> Result<String, RegisterError> {
        rules::check_username(username).map_err(RegisterError::Invalid)?;
        rules::check_password(username, password).map_err(RegisterError::Invalid)?;
        let key = key(username);
        // A quick look first, so a taken name costs no hashing...
        if self.accounts.lock().await.contains_key(&key) {
            return Err(RegisterError::Taken);
        }
        let password_hash = password::hash(password).await.map_err(RegisterError::Storage)?;
        // ...and the real test under the lock, which a parallel
        // registration of the same name may have won in the meantime.
        let mut accounts = self.accounts.lock().await;
        if accounts.contains_key(&key) {
            return Err(RegisterError::Taken);
        }
        let created_at = OffsetDateTime::now_utc().unix_timestamp();
        accounts.insert(key.clone(), Account { username: key.clone(), password_hash, created_at });
        if let Err(error) = file::write_atomically(&self.file, &*accounts).await {
            accounts.remove(&key);
            return Err(RegisterError::Storage(error));
        }
        Ok(key)
    }
    // ANCHOR_END: register
}

/// Usernames are compared without case: the key is the lower-cased name.
fn key(username: &str) -> String {
    // ASCII only: Unicode case folding would let the Kelvin sign "K" be "k".
    username.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::phc::PasswordHash;

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        let dummy = PasswordHash::new(super::DUMMY_HASH).unwrap();
        let real = "$argon2id$v=19$m=19456,t=2,p=1$MoQPxkPFZewpIoiuHPscjA$mLOgRJ/SxEdAMSeBH2gIsfOCYCndmfqASHhse+rgGI0";
        let real = PasswordHash::new(real).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.params, real.params, "regenerate DUMMY_HASH with the new parameters");
    }
}
