//! Step 06's part of the database: the identities linked to an account
//! besides the one it was made with (`linked_identities`), who owns an
//! identity, and who a session cookie belongs to (read from step 04's
//! `sessions`).

use std::{io, time::Duration};

use sqlx::{AnyPool, any::AnyPoolOptions};

use crate::{Config, s05::accounts::database_url};

/// An account: (id, username).
pub(super) type Account = (i64, String);

pub(super) struct Links {
    pool: AnyPool,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Links {
    /// Connects to the database step 05 has made, and adds the table.
    pub(super) async fn open(config: &Config) -> Result<Links, String> {
        let pool = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            .connect(&database_url(config))
            .await
            .map_err(|e| format!("step 06 cannot open the database: {e}"))?;
        // One identity, one account: the primary key refuses a second.
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS linked_identities (
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
)",
        )
        .execute(&pool)
        .await
        .map_err(|e| format!("cannot make linked_identities: {e}"))?;
        Ok(Links { pool })
    }

    /// The account signed in with session cookie `id`, if it is current.
    pub(super) async fn session_user(&self, id: Option<&str>) -> io::Result<Option<i64>> {
        let Some(id) = id else { return Ok(None) };
        sqlx::query_scalar("SELECT user_id FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now())
            .fetch_optional(&self.pool)
            .await
            .map_err(io::Error::other)
    }

    /// The account that signs in with (`provider`, `subject`): the one
    /// made with it, or the one it is linked to.
    pub(super) async fn owner(&self, provider: &str, subject: &str) -> io::Result<Option<Account>> {
        let made: Option<Account> =
            sqlx::query_as("SELECT id, username FROM users WHERE provider = $1 AND subject = $2")
                .bind(provider)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await
                .map_err(io::Error::other)?;
        match made {
            Some(made) => Ok(Some(made)),
            None => self.linked_owner(provider, subject).await,
        }
    }

    /// The account (`provider`, `subject`) is linked to, if it is.
    pub(super) async fn linked_owner(
        &self,
        provider: &str,
        subject: &str,
    ) -> io::Result<Option<Account>> {
        sqlx::query_as(
            "SELECT u.id, u.username FROM linked_identities l JOIN users u ON u.id = l.user_id \
             WHERE l.provider = $1 AND l.subject = $2",
        )
        .bind(provider)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await
        .map_err(io::Error::other)
    }

    /// The `links-by-email` flaw's lookup: the first account with `email`.
    pub(super) async fn by_email(&self, email: &str) -> io::Result<Option<Account>> {
        sqlx::query_as("SELECT id, username FROM users WHERE email = $1 ORDER BY id")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(io::Error::other)
    }

    /// The account with id `id`.
    pub(super) async fn account(&self, id: i64) -> io::Result<Option<Account>> {
        sqlx::query_as("SELECT id, username FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(io::Error::other)
    }

    /// Links (`provider`, `subject`), which signs in to no account, to
    /// account `user_id`. False if it was taken meanwhile.
    pub(super) async fn link(
        &self,
        user_id: i64,
        provider: &str,
        subject: &str,
    ) -> io::Result<bool> {
        let done = sqlx::query(
            "INSERT INTO linked_identities (provider, subject, user_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(provider)
        .bind(subject)
        .bind(user_id)
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(io::Error::other)?;
        Ok(done.rows_affected() == 1)
    }

    /// The `link-moves` flaw: (`provider`, `subject`) stops signing in to
    /// the account it did, whether it was made with it or linked.
    pub(super) async fn unlink_everywhere(&self, provider: &str, subject: &str) -> io::Result<()> {
        sqlx::query("UPDATE users SET subject = NULL WHERE provider = $1 AND subject = $2")
            .bind(provider)
            .bind(subject)
            .execute(&self.pool)
            .await
            .map_err(io::Error::other)?;
        sqlx::query("DELETE FROM linked_identities WHERE provider = $1 AND subject = $2")
            .bind(provider)
            .bind(subject)
            .execute(&self.pool)
            .await
            .map_err(io::Error::other)?;
        Ok(())
    }

    /// The providers linked to the account `username`, oldest link first.
    pub(super) async fn linked_to(&self, username: &str) -> io::Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT l.provider FROM linked_identities l JOIN users u ON u.id = l.user_id \
             WHERE u.username = $1 ORDER BY l.created_at, l.provider",
        )
        .bind(username)
        .fetch_all(&self.pool)
        .await
        .map_err(io::Error::other)
    }
}
