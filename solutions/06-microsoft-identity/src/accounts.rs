//! Which account a provider's user signs in to, now that an account can
//! have a second provider linked to it.

use sqlx::AnyPool;
use step04_solution::readers::Readers;
use step05_solution::{oidc::Identity, users};
use time::OffsetDateTime;

/// How a link ends.
#[derive(Debug, PartialEq, Eq)]
pub enum Linked {
    /// The identity signs in to the account from now on.
    Now,
    /// It did already: linked before, or the account's own.
    Already,
    /// It signs in to another account: that account keeps it.
    ToAnother,
    /// The account has an identity of that provider already.
    ProviderTaken,
}

// ANCHOR: sign_in
/// The username `provider`'s user `identity` signs in to: the account it
/// was linked to, else its own, made at its first sign-in (step 05).
///
/// Never an account found by email, even a verified one: a sign-in links
/// nothing by itself. Whoever controls an address at one provider (a new
/// employee given a former one's, a tenant whose admin sets any address)
/// would otherwise get the account of whoever used it elsewhere.
pub async fn sign_in(
    pool: &AnyPool,
    provider: &str,
    identity: &Identity,
) -> Result<String, sqlx::Error> {
    // exercise:cut linking
    if let Some(username) = linked_to(pool, provider, &identity.subject).await? {
        return Ok(username);
    }
    // exercise:end
    users::sign_in(pool, provider, identity).await
}
// ANCHOR_END: sign_in

// ANCHOR: link
/// Links `provider`'s user `identity` to `username`'s account, which
/// signed in and then went through that provider's sign-in to prove it
/// holds the identity. An identity that signs in to another account stays
/// with it: linking never moves an identity, or it would be a way to take
/// someone's sign-in away from them.
pub async fn link(
    pool: &AnyPool,
    username: &str,
    provider: &str,
    identity: &Identity,
) -> Result<Linked, sqlx::Error> {
    // exercise:cut linking
    let owner = match linked_to(pool, provider, &identity.subject).await? {
        Some(owner) => Some(owner),
        None => users::find(pool, provider, &identity.subject).await?,
    };
    match owner {
        Some(owner) if owner == username => return Ok(Linked::Already),
        Some(_) => return Ok(Linked::ToAnother),
        None => {}
    }
    if own_provider(pool, username).await?.as_deref() == Some(provider) {
        return Ok(Linked::ProviderTaken);
    }
    let inserted = sqlx::query(
        "INSERT INTO linked_accounts (provider, subject, username, linked_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(provider)
    .bind(&identity.subject)
    .bind(username)
    .bind(OffsetDateTime::now_utc().unix_timestamp())
    .execute(pool)
    .await;
    match inserted {
        Ok(_) => Ok(Linked::Now),
        // Linked a moment ago, here or to another account, or the account
        // got another identity of this provider: the database decides.
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            let owner = linked_to(pool, provider, &identity.subject).await?;
            Ok(match owner {
                Some(owner) if owner == username => Linked::Already,
                Some(_) => Linked::ToAnother,
                None => Linked::ProviderTaken,
            })
        }
        Err(error) => Err(error),
    }
    // exercise:as
    // TODO(step 06): link the identity to this account, unless it signs in
    // to an account already (this one: nothing to do; another: it stays
    // there), or this account has an identity of that provider.
    // See book/src/06-microsoft-identity.md, "Linking a second provider".
    //~ let _ = (pool, username, provider, identity, OffsetDateTime::now_utc());
    //~ todo!("link the identity")
    // exercise:end
}
// ANCHOR_END: link

// ANCHOR: profile
/// What `/api/me` and the cabinet show: the account's profile (step 05's)
/// and every provider it signs in with, the account's own first
/// ("password", "google" or "microsoft"), then those linked to it.
pub async fn profile(
    pool: &AnyPool,
    reads: &Readers,
    username: &str,
) -> Result<Option<(step05_solution::profile::Profile, Vec<String>)>, sqlx::Error> {
    let Some(profile) = step05_solution::profile::Profile::find(reads, username).await? else {
        return Ok(None);
    };
    // The profile's row already says the account's own provider: one query
    // fewer on every request that shows it.
    let linked: Vec<(String,)> = sqlx::query_as(
        "SELECT provider FROM linked_accounts WHERE username = $1 ORDER BY linked_at, provider",
    )
    .bind(username)
    .fetch_all(pool)
    .await?;
    let providers = std::iter::once(profile.provider.clone())
        .chain(linked.into_iter().map(|(provider,)| provider))
        .collect();
    Ok(Some((profile, providers)))
}
// ANCHOR_END: profile

async fn linked_to(
    pool: &AnyPool,
    provider: &str,
    subject: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT username FROM linked_accounts WHERE provider = $1 AND subject = $2")
        .bind(provider)
        .bind(subject)
        .fetch_optional(pool)
        .await
}

async fn own_provider(pool: &AnyPool, username: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT provider FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await
}
