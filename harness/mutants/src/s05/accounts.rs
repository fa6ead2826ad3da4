//! Step 05's part of the database: the columns it adds to step 04's
//! `users` table (`provider`, `subject`, `email`, `name`), the accounts of
//! the provider's users, found by (provider, subject), and their sessions,
//! written as step 04 writes its own so that step 04's code reads them.

use std::{io, time::Duration};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, any::AnyPoolOptions};

use super::oidc::Identity;
use crate::{Config, s01::new_id};

pub(crate) const GOOGLE: &str = "google";
/// What a provider's user has for a password hash: no PHC string, so no
/// password matches it. Step 04's table wants one.
const NO_PASSWORD: &str = "!";

/// What `/api/me` adds to step 04's answer.
pub(crate) struct Profile {
    pub(crate) provider: String,
    pub(crate) email: Option<String>,
    pub(crate) name: Option<String>,
}

pub(crate) struct ProviderAccounts {
    flaw: &'static str,
    pool: AnyPool,
}

/// Characters that would end or change an SQLite path inside a URL.
const PATH_IN_URL: &AsciiSet = &CONTROLS.add(b'%').add(b'?').add(b'#');

/// `DATABASE_URL`, or the contract's default, as step 04 finds it.
pub(crate) fn database_url(config: &Config) -> String {
    config.database_url.clone().unwrap_or_else(|| {
        let path = config.data_dir.join("app.db");
        format!("sqlite://{}", utf8_percent_encode(&path.to_string_lossy(), PATH_IN_URL))
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl ProviderAccounts {
    /// Connects to step 04's database (its tables made already) and adds
    /// step 05's columns, once.
    pub(crate) async fn open(config: &Config, flaw: &'static str) -> Result<Self, String> {
        let url = database_url(config);
        let postgres = !url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url)
            .await
            .map_err(|e| format!("step 05 cannot open the database: {e}"))?;
        // SQLite has no ADD COLUMN IF NOT EXISTS: a column already there
        // (a restart) is the one error to expect.
        let if_new = if postgres { "IF NOT EXISTS " } else { "" };
        for column in
            ["provider TEXT NOT NULL DEFAULT 'password'", "subject TEXT", "email TEXT", "name TEXT"]
        {
            let sql = format!("ALTER TABLE users ADD COLUMN {if_new}{column}");
            if let Err(error) = sqlx::query(&sql).execute(&pool).await
                && !error.to_string().contains("duplicate column")
            {
                return Err(format!("cannot add a column to users: {error}"));
            }
        }
        // The flaw that never looks accounts up has no index to stop it.
        if flaw != "always-new-account" {
            sqlx::query(
                "CREATE UNIQUE INDEX IF NOT EXISTS users_provider_subject ON users (provider, subject)",
            )
            .execute(&pool)
            .await
            .map_err(|e| format!("cannot index users: {e}"))?;
        }
        Ok(Self { flaw, pool })
    }

    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("05", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    /// The subject as stored: as the provider says it, or hashed by the flaw.
    fn stored_subject(&self, sub: &str) -> String {
        if self.has("subject-hashed") {
            return Sha256::digest(sub.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        }
        sub.to_owned()
    }

    /// The account of the provider's user: found by (provider, subject),
    /// its email and name brought up to date; made at the first sign-in.
    /// Returns (id, username).
    pub(crate) async fn find_or_create(
        &self,
        provider: &str,
        who: &Identity,
    ) -> io::Result<(i64, String)> {
        let subject = self.stored_subject(&who.sub);
        if let Some(found) = self.find(provider, who, &subject).await? {
            return Ok(found);
        }
        let base = username_for(who);
        for attempt in 0..20 {
            let username = match attempt {
                0 => base.clone(),
                1..10 => format!("{base}-{}", attempt + 1),
                _ => format!("{base}-{}", &new_id()[..6]),
            };
            // Taken names and a sign-in of the same person at the same
            // moment both end here, without a row.
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO users (username, password_hash, created_at, provider, subject, email, name) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(&username)
            .bind(NO_PASSWORD)
            .bind(now())
            .bind(provider)
            .bind(&subject)
            .bind(&who.email)
            .bind(&who.name)
            .fetch_optional(&self.pool)
            .await
            .map_err(io::Error::other)?;
            if let Some(id) = id {
                return Ok((id, username));
            }
            if !self.has("always-new-account")
                && let Some(found) = self.find(provider, who, &subject).await?
            {
                return Ok(found);
            }
        }
        Err(io::Error::other(format!("no free username like {base:?}")))
    }

    async fn find(
        &self,
        provider: &str,
        who: &Identity,
        subject: &str,
    ) -> io::Result<Option<(i64, String)>> {
        if self.has("always-new-account") {
            return Ok(None);
        }
        if self.has("email-key") {
            // "The same email is the same person."
            let Some(email) = &who.email else { return Ok(None) };
            return sqlx::query_as("SELECT id, username FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await
                .map_err(io::Error::other);
        }
        if self.has("username-key") {
            // "The same name is the same person", whoever owns the name.
            return sqlx::query_as("SELECT id, username FROM users WHERE username = $1")
                .bind(username_for(who))
                .fetch_optional(&self.pool)
                .await
                .map_err(io::Error::other);
        }
        let found: Option<(i64, String)> =
            sqlx::query_as("SELECT id, username FROM users WHERE provider = $1 AND subject = $2")
                .bind(provider)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await
                .map_err(io::Error::other)?;
        if let Some((id, _)) = &found {
            sqlx::query("UPDATE users SET email = $1, name = $2 WHERE id = $3")
                .bind(&who.email)
                .bind(&who.name)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(io::Error::other)?;
        }
        Ok(found)
    }

    /// Provider, email and name of the account `username`.
    pub(crate) async fn profile(&self, username: &str) -> io::Result<Option<Profile>> {
        let row: Option<(String, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT provider, email, name FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await
                .map_err(io::Error::other)?;
        Ok(row.map(|(provider, email, name)| Profile { provider, email, name }))
    }

    /// A new session for account `user_id`, in step 04's `sessions` table
    /// (a row step 04 reads back): the browser's old session, `old`, ends.
    /// Returns the cookie's value.
    pub(crate) async fn start_session(
        &self,
        user_id: i64,
        old: Option<&str>,
        lifetime: Duration,
    ) -> io::Result<String> {
        let (now, lifetime) = (now(), lifetime.as_secs() as i64);
        if let Some(old) = old {
            if self.has("session-not-renewed") {
                // The browser's session is signed in as the new user, same id.
                let done = sqlx::query(
                    "UPDATE sessions SET user_id = $1, expires_at = $2, lifetime_secs = $3 WHERE id = $4",
                )
                .bind(user_id)
                .bind(now + lifetime)
                .bind(lifetime)
                .bind(old)
                .execute(&self.pool)
                .await
                .map_err(io::Error::other)?;
                if done.rows_affected() == 1 {
                    return Ok(old.to_owned());
                }
            }
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(old)
                .execute(&self.pool)
                .await
                .map_err(io::Error::other)?;
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO sessions (id, user_id, expires_at, lifetime_secs, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(now + lifetime)
        .bind(lifetime)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(io::Error::other)?;
        Ok(id)
    }
}

/// A username for the provider's user: the start of the email address,
/// kept to the contract's `a-z 0-9 _ . -` and 3 to 32 characters (with
/// room for a `-N` to tell namesakes apart).
fn username_for(who: &Identity) -> String {
    let local = who.email.as_deref().and_then(|e| e.split('@').next()).unwrap_or_default();
    let mut name: String = local
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(25)
        .collect();
    if name.len() < 3 {
        name = format!("user-{name}");
    }
    name
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn who(email: &str) -> Identity {
        Identity { sub: "1".into(), email: Some(email.into()), name: None, claims: Value::Null }
    }

    #[test]
    fn usernames_keep_the_contracts_rule() {
        assert_eq!(username_for(&who("Ada.Lovelace+x@example.com")), "ada.lovelacex");
        assert_eq!(username_for(&who("é@example.com")), "user-");
        assert_eq!(username_for(&who(&format!("{}@x", "a".repeat(40)))).len(), 25);
    }
}
