//! Provider accounts: made at a person's first sign-in, found again by the
//! provider and its `sub`, and by nothing else.

use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::{oidc::Identity, username};

/// New names drawn before giving up; with 32 random bits of suffix,
/// needing a second is already rare.
const ATTEMPTS: usize = 8;

// ANCHOR: sign_in
/// The username of `provider`'s user `identity`: their account, its email
/// (and whether the provider checked it), name and picture brought up to
/// date, or a new account at their first sign-in.
///
/// Never found by email: an address is not a person. It can be given up
/// and handed to someone else, and a provider may not have checked it
/// (the mock provider's Mallory claims Alice's). So a password account
/// with the same email is left alone, and a second `sub` with the same
/// email is a second person, with a second account.
pub async fn sign_in(
    pool: &AnyPool,
    provider: &str,
    identity: &Identity,
) -> Result<String, sqlx::Error> {
    for _ in 0..ATTEMPTS {
        let found = find(pool, provider, &identity.subject).await?;
        if let Some(username) = found {
            update(pool, provider, identity).await?;
            return Ok(username);
        }
        let username = username::candidate(identity);
        match insert(pool, provider, identity, &username).await {
            Ok(()) => return Ok(username),
            // The name is taken (try another), or this person's first
            // sign-in in another tab made the account a moment ago (found
            // at the next turn). The row that is there is never touched.
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {}
            Err(error) => return Err(error),
        }
    }
    Err(sqlx::Error::Protocol(format!("no free username for a new {provider} account")))
}
// ANCHOR_END: sign_in

// ANCHOR: find
/// The account of `provider`'s user `subject`, if they have one.
pub async fn find(
    pool: &AnyPool,
    provider: &str,
    subject: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT username FROM users WHERE provider = $1 AND subject = $2")
            .bind(provider)
            .bind(subject)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(username,)| username))
}
// ANCHOR_END: find

/// What the provider says now replaces what it said last time; the
/// account and its username stay.
async fn update(pool: &AnyPool, provider: &str, identity: &Identity) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET email = $3, email_verified = $4, name = $5, picture = $6
         WHERE provider = $1 AND subject = $2",
    )
    .bind(provider)
    .bind(&identity.subject)
    .bind(identity.email.as_deref())
    .bind(identity.email_verified)
    .bind(identity.name.as_deref())
    .bind(identity.picture.as_deref())
    .execute(pool)
    .await?;
    Ok(())
}

/// A new account with no password: `password_hash` stays NULL, so the
/// password sign-in does not see it.
async fn insert(
    pool: &AnyPool,
    provider: &str,
    identity: &Identity,
    username: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO users
             (username, created_at, provider, subject, email, email_verified, name, picture)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(username)
    .bind(OffsetDateTime::now_utc().unix_timestamp())
    .bind(provider)
    .bind(&identity.subject)
    .bind(identity.email.as_deref())
    .bind(identity.email_verified)
    .bind(identity.name.as_deref())
    .bind(identity.picture.as_deref())
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use step02_solution::accounts::{Accounts, UserStore as _};
    use step04_solution::users::SqlUsers;

    use super::*;

    async fn pool() -> (AnyPool, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = step04_solution::db::url(None, dir.path());
        (step04_solution::db::open_with(&url, Some(crate::db::migrations)).await.unwrap(), dir)
    }

    fn alice() -> Identity {
        Identity {
            subject: "108530463922154213890".into(),
            email: Some("alice@example.com".into()),
            email_verified: true,
            name: Some("Alice Liddell".into()),
            picture: None,
        }
    }

    async fn profile(pool: &AnyPool, username: &str) -> (String, Option<String>, Option<String>) {
        sqlx::query_as("SELECT provider, email, name FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_same_sub_is_the_same_account_with_its_new_email_and_name() {
        let (pool, _dir) = pool().await;
        let first = sign_in(&pool, "google", &alice()).await.unwrap();
        let moved = Identity {
            email: Some("alice@example.org".into()),
            name: Some("Alice Hargreaves".into()),
            ..alice()
        };
        assert_eq!(sign_in(&pool, "google", &moved).await.unwrap(), first);
        let (provider, email, name) = profile(&pool, &first).await;
        assert_eq!(provider, "google");
        assert_eq!(email.as_deref(), Some("alice@example.org"));
        assert_eq!(name.as_deref(), Some("Alice Hargreaves"));
    }

    #[tokio::test]
    async fn another_sub_with_the_same_email_is_another_account() {
        let (pool, _dir) = pool().await;
        let alice = sign_in(&pool, "google", &alice()).await.unwrap();
        let mallory = Identity {
            subject: "109874410263359871042".into(),
            email_verified: false,
            name: Some("Mallory Mallet".into()),
            ..self::alice()
        };
        assert_ne!(sign_in(&pool, "google", &mallory).await.unwrap(), alice);
    }

    #[tokio::test]
    async fn a_password_account_is_never_taken_over() {
        let (pool, _dir) = pool().await;
        let accounts = Accounts::new(SqlUsers::new(pool.clone()));
        accounts.register("alice", "wonderland-rabbit-42").await.unwrap();
        let google = sign_in(&pool, "google", &alice()).await.unwrap();
        assert_ne!(google, "alice");
        let (provider, email, _) = profile(&pool, "alice").await;
        assert_eq!((provider.as_str(), email), ("password", None));
        // The password still signs in the password account, and only it.
        let verified = accounts.verify("alice", "wonderland-rabbit-42").await.unwrap();
        assert_eq!(verified.as_deref(), Some("alice"));
        // The provider account has no password to sign in with.
        assert!(SqlUsers::new(pool.clone()).find(&google).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_taken_name_is_refused_by_the_database_never_overwritten() {
        let (pool, _dir) = pool().await;
        let accounts = Accounts::new(SqlUsers::new(pool.clone()));
        accounts.register("alice-3f9a", "wonderland-rabbit-42").await.unwrap();
        let taken = insert(&pool, "google", &alice(), "alice-3f9a").await.unwrap_err();
        assert!(matches!(&taken, sqlx::Error::Database(e) if e.is_unique_violation()), "{taken}");
        let (provider, email, _) = profile(&pool, "alice-3f9a").await;
        assert_eq!((provider.as_str(), email), ("password", None));
    }

    #[tokio::test]
    async fn the_provider_keeps_two_providers_subs_apart() {
        let (pool, _dir) = pool().await;
        let google = sign_in(&pool, "google", &alice()).await.unwrap();
        let other = sign_in(&pool, "microsoft", &alice()).await.unwrap();
        assert_ne!(google, other);
    }
}
