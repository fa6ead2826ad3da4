//! The sign-ins under way, between `/login/google` and `/auth/callback`:
//! the secrets each callback must match, kept on the server in the
//! `oidc_pending` table. A random key in the browser's session ties a row
//! to that browser, whether someone is signed in on the session or not (a
//! password user may go on to sign in with Google); the browser itself
//! carries only the session's cookie.

use std::time::Duration;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sqlx::AnyPool;
use time::OffsetDateTime;
use tower_sessions::Session;

/// Where in the session this browser's key is kept.
const KEY: &str = "oidc_pending_key";

/// How long someone may take at the provider's pages. Codes live for
/// minutes too; an older callback is refused rather than exchanged.
pub const LIFETIME: Duration = Duration::from_secs(10 * 60);

/// How often the sign-ins nobody came back from are deleted.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The values the authorization request was made with, which only the
/// server keeps. No `Debug`: they are secrets until the sign-in ends.
pub struct Pending {
    /// Comes back on the callback: proves the callback belongs to a
    /// sign-in this browser started (no login CSRF).
    pub state: String,
    /// Comes back inside the ID token: proves the token was made for this
    /// sign-in, not replayed from another.
    pub nonce: String,
    /// PKCE: sent to the token endpoint with the code, proves that whoever
    /// redeems the code started the sign-in.
    pub verifier: String,
}

impl Pending {
    pub fn new(state: String, nonce: String, verifier: String) -> Self {
        Self { state, nonce, verifier }
    }
}

/// A pending sign-in whose state a callback brought back, taken for it.
#[derive(sqlx::FromRow)]
pub struct Matched {
    /// The provider the browser was sent to: the one to redeem the code.
    pub provider: String,
    pub nonce: String,
    pub verifier: String,
    /// Unix seconds.
    pub started_at: i64,
}

impl Matched {
    pub fn is_stale(&self) -> bool {
        now().saturating_sub(self.started_at) > LIFETIME.as_secs() as i64
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot use the session: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error("cannot use the database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Keeps `pending`, a sign-in with `provider` that this browser starts, in
/// place of any earlier one: the latest sign-in started in a browser is
/// the one that can finish.
pub async fn keep(
    pool: &AnyPool,
    session: &Session,
    provider: &str,
    pending: &Pending,
) -> Result<(), Error> {
    let key = match session.get::<String>(KEY).await? {
        Some(key) => key,
        None => {
            let key = new_key();
            session.insert(KEY, &key).await?;
            key
        }
    };
    sqlx::query(
        "INSERT INTO oidc_pending (session_key, provider, state, nonce, verifier, started_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (session_key) DO UPDATE SET
             provider = excluded.provider, state = excluded.state, nonce = excluded.nonce,
             verifier = excluded.verifier, started_at = excluded.started_at",
    )
    .bind(&key)
    .bind(provider)
    .bind(&pending.state)
    .bind(&pending.nonce)
    .bind(&pending.verifier)
    .bind(now())
    .execute(pool)
    .await?;
    Ok(())
}

// ANCHOR: take
/// Takes this browser's pending sign-in, if `state` is its state: deleted
/// as it is read, so that nothing can take it twice. A `state` that is
/// not its state (missing, wrong, another browser's) takes nothing, and
/// leaves it to the callback that brings the right one.
pub async fn take(
    pool: &AnyPool,
    session: &Session,
    state: &str,
) -> Result<Option<Matched>, Error> {
    let Some(key) = session.get::<String>(KEY).await? else {
        return Ok(None);
    };
    // exercise:cut code-exchange
    // One statement finds the row and deletes it, so the database gives it
    // to one callback only, however many arrive at once. A SELECT, then a
    // DELETE, would let two callbacks both read it before either deleted
    // it. The state is compared by the database, not in constant time:
    // only requests with this browser's cookie reach its row, and 128
    // random bits are not guessed.
    let matched = sqlx::query_as(
        "DELETE FROM oidc_pending WHERE session_key = $1 AND state = $2
         RETURNING provider, nonce, verifier, started_at",
    )
    .bind(&key)
    .bind(state)
    .fetch_optional(pool)
    .await?;
    Ok(matched)
    // exercise:as
    // TODO(step 05): take this browser's pending sign-in (the row of
    // `oidc_pending` under `key`) if, and only if, the callback brought back
    // its `state`: once, so that no callback can take it twice, not even two
    // arriving at once. Nothing matches: `None`.
    // See book/src/05-google-oidc.md, "The callback".
    //~ let _ = (pool, key, state);
    //~ todo!("take the pending sign-in that the callback's state names")
    // exercise:end
}
// ANCHOR_END: take

/// Deletes the sign-ins started more than [`LIFETIME`] ago: nobody will
/// come back to them, and a callback would refuse them anyway.
pub async fn delete_stale(pool: &AnyPool) -> Result<u64, sqlx::Error> {
    let started_before = now().saturating_sub(LIFETIME.as_secs() as i64);
    let deleted = sqlx::query("DELETE FROM oidc_pending WHERE started_at < $1")
        .bind(started_before)
        .execute(pool)
        .await?;
    Ok(deleted.rows_affected())
}

/// Sweeps every [`SWEEP_EVERY`], so a sign-in nobody finished outlives its
/// [`LIFETIME`] by at most that.
pub fn spawn_sweep(pool: AnyPool) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SWEEP_EVERY);
        loop {
            ticks.tick().await;
            // A failed sweep is logged and tried again at the next tick.
            match delete_stale(&pool).await {
                Ok(0) => {}
                Ok(deleted) => tracing::debug!(deleted, "stale pending sign-ins swept"),
                Err(error) => tracing::warn!(%error, "cannot sweep the pending sign-ins"),
            }
        }
    });
}

/// 128 random bits: a browser's key, as hard to guess as its session id.
fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pool() -> (AnyPool, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = step04_solution::db::url(None, dir.path());
        (step04_solution::db::open_with(&url, Some(crate::db::migrations)).await.unwrap(), dir)
    }

    async fn started(pool: &AnyPool, session_key: &str, started_at: i64) {
        sqlx::query(
            "INSERT INTO oidc_pending (session_key, provider, state, nonce, verifier, started_at)
             VALUES ($1, 'google', 's', 'n', 'v', $2)",
        )
        .bind(session_key)
        .bind(started_at)
        .execute(pool)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn the_sweep_deletes_the_sign_ins_past_their_lifetime_only() {
        let (pool, _dir) = pool().await;
        let lifetime = LIFETIME.as_secs() as i64;
        started(&pool, "abandoned", now() - lifetime - 1).await;
        started(&pool, "under-way", now() - lifetime + 30).await;
        assert_eq!(delete_stale(&pool).await.unwrap(), 1);
        let (left,): (String,) =
            sqlx::query_as("SELECT session_key FROM oidc_pending").fetch_one(&pool).await.unwrap();
        assert_eq!(left, "under-way");
    }

    #[test]
    fn a_sign_in_past_its_lifetime_is_stale() {
        let matched = |age: u64| Matched {
            provider: "google".into(),
            nonce: "n".into(),
            verifier: "v".into(),
            started_at: now() - age as i64,
        };
        assert!(!matched(0).is_stale());
        assert!(!matched(LIFETIME.as_secs() - 30).is_stale());
        assert!(matched(LIFETIME.as_secs() + 1).is_stale());
    }
}
