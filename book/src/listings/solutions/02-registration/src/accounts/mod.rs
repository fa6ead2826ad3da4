//! The accounts people register, the password only ever as an argon2id
//! hash. The rules and the hashing live here; where the accounts are kept
//! is a [`UserStore`]: `users.json` in this step ([`JsonFile`]), SQL in
//! step 04.

mod file;
pub mod password;
pub mod rules;

use std::path::Path;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use file::JsonFile;

pub type StorageError = Box<dyn std::error::Error + Send + Sync>;

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
    Storage(StorageError),
}

/// Where accounts are kept, by their lower-cased username.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn find(&self, username: &str) -> Result<Option<Account>, StorageError>;
    /// Adds `account`, or answers [`Taken`] when its name already is: the
    /// test and the insert are one step, so that of two parallel
    /// registrations of one name exactly one wins.
    async fn insert(&self, account: Account) -> Result<Result<(), Taken>, StorageError>;
}

/// The username is taken.
#[derive(Debug)]
pub struct Taken;

pub struct Accounts {
    store: Box<dyn UserStore>,
}

/// Verified against when the username is unknown, so that an unknown name
/// costs the same argon2 work as a wrong password. It is the hash of 32
/// random bytes that were thrown away: no password matches it.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$dmd1viD2ImSMUjsgc/f7wQ$eituz3poQX3Ea0RVWj9P/hV+Ml5NQSACD4v0/sswxqk";

impl Accounts {
    /// The accounts of `users.json` in `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<Self, StorageError> {
        Ok(Self::new(JsonFile::open(data_dir).await?))
    }

    pub fn new(store: impl UserStore + 'static) -> Self {
        Self { store: Box::new(store) }
    }

    // ANCHOR: verify
    /// The account's username, when `password` is its password.
    pub async fn verify(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<String>, StorageError> {
        // No account has a name or password outside the rules: refuse those
        // after the same hashing work, without hashing megabytes of input.
        if rules::check_username(username).is_err()
            || password.chars().count() > rules::MAX_PASSWORD
        {
            password::verify("", DUMMY_HASH).await;
            return Ok(None);
        }
        let account = self.store.find(&key(username)).await?;
        let hash = account.as_ref().map_or(DUMMY_HASH, |a| a.password_hash.as_str());
        let matches = password::verify(password, hash).await;
        Ok(account.filter(|_| matches).map(|account| account.username))
    }
    // ANCHOR_END: verify

    // ANCHOR: register
    /// Creates an account and returns its username.
    pub async fn register(&self, username: &str, password: &str) -> Result<String, RegisterError> {
        rules::check_username(username).map_err(RegisterError::Invalid)?;
        rules::check_password(username, password).map_err(RegisterError::Invalid)?;
        let username = key(username);
        // A quick look first, so a taken name costs no hashing...
        if self.store.find(&username).await.map_err(RegisterError::Storage)?.is_some() {
            return Err(RegisterError::Taken);
        }
        let password_hash =
            password::hash(password).await.map_err(|e| RegisterError::Storage(e.into()))?;
        let created_at = OffsetDateTime::now_utc().unix_timestamp();
        let account = Account { username: username.clone(), password_hash, created_at };
        // ...and the real test in the store's insert, which a parallel
        // registration of the same name may have won in the meantime.
        match self.store.insert(account).await.map_err(RegisterError::Storage)? {
            Ok(()) => Ok(username),
            Err(Taken) => Err(RegisterError::Taken),
        }
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
