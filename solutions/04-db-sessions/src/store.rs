//! tower-sessions' [`SessionStore`] over the `sessions` table: what step 03
//! kept in JSON files, now rows that every instance of the app shares.
//!
//! Nothing is cached in the process. Every request reads its row, so a
//! sign-out on one server is a sign-out on all of them at once.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use step01_solution::auth::{SIGNED_IN, SignedIn};
use time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error, Result},
};

use crate::readers::Readers;

#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    /// Connections kept for `load`, the query of every request.
    reads: Arc<Readers>,
    /// The longest a session nobody is signed in on may be kept.
    session_ttl: Duration,
}

impl SqlStore {
    pub fn new(pool: AnyPool, session_ttl: Duration) -> Self {
        Self { reads: Arc::new(Readers::new(pool.clone())), pool, session_ttl }
    }

    /// The connections kept for reads, for a later step's reads of every
    /// request (step 05's profile).
    pub fn reads(&self) -> Arc<Readers> {
        Arc::clone(&self.reads)
    }

    // ANCHOR: sweep
    /// Deletes every expired row: sessions that were abandoned rather than
    /// signed out, which no request will ever present again.
    pub async fn delete_expired(&self) -> Result<u64> {
        // exercise:cut
        let deleted = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(deleted.rows_affected())
        // exercise:as
        // TODO(step 04): delete the rows whose `expires_at` has passed and
        // say how many. See book/src/04-db-sessions.md, "Expiry and the sweep".
        //~ todo!("delete the expired sessions")
        // exercise:end
    }

    /// Sweeps every `SESSION_TTL_SECS` (at most every minute, at least every
    /// second), so an abandoned session outlives its expiry by at most that.
    pub fn spawn_sweep(self) {
        let period = self.session_ttl.clamp(Duration::from_secs(1), Duration::from_secs(60));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            loop {
                ticks.tick().await;
                // A failed sweep (the database restarting, say) is logged
                // and tried again at the next tick, never the end of sweeping.
                match self.delete_expired().await {
                    Ok(0) => {}
                    Ok(deleted) => tracing::debug!(deleted, "expired sessions swept"),
                    Err(error) => tracing::warn!(%error, "cannot sweep expired sessions"),
                }
            }
        });
    }
    // ANCHOR_END: sweep

    /// The row's columns for `record`: who is signed in, until when, the data.
    fn columns(&self, record: &Record) -> Result<(Option<String>, i64, String)> {
        let signed_in = record
            .data
            .get(SIGNED_IN)
            .and_then(|value| serde_json::from_value::<SignedIn>(value.clone()).ok());
        let expires_at = match &signed_in {
            // Signed in: the sliding expiry the session itself keeps.
            Some(signed_in) => signed_in.expires_at,
            // Nobody signed in yet (step 05 keeps a pending sign-in's key here):
            // no longer than a session's lifetime.
            None => record
                .expiry_date
                .unix_timestamp()
                .min(now().saturating_add(seconds(self.session_ttl))),
        };
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        Ok((signed_in.map(|s| s.username), expires_at, data))
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    // ANCHOR: create
    async fn create(&self, record: &mut Record) -> Result<()> {
        let (username, expires_at, data) = self.columns(record)?;
        loop {
            // exercise:cut
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, user_id, data, expires_at, created_at)
                 VALUES ($1, (SELECT id FROM users WHERE username = $2), $3, $4, $5)",
            )
            .bind(key(&record.id))
            .bind(username.as_deref())
            .bind(&data)
            .bind(expires_at)
            .bind(now())
            .execute(&self.pool)
            .await;
            match inserted {
                Ok(_) => return Ok(()),
                // 128 random bits collide practically never; if they do,
                // draw again rather than overwrite someone's session.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    record.id = Id::default()
                }
                Err(error) => return Err(backend(error)),
            }
            // exercise:as
            // TODO(step 04): insert a row for the new session: `key(&record.id)`,
            // the user's id looked up by `username` in SQL, `data`,
            // `expires_at`, and now as `created_at`. Every value is a bound
            // parameter. See book/src/04-db-sessions.md, "A session store".
            //~ let _ = (&username, expires_at, &data);
            //~ todo!("insert the session row")
            // exercise:end
        }
    }
    // ANCHOR_END: create

    // ANCHOR: save
    async fn save(&self, record: &Record) -> Result<()> {
        let (username, expires_at, data) = self.columns(record)?;
        // exercise:cut
        // UPDATE, never an insert: when another server signed this session
        // out a moment ago, saving it here must not bring it back.
        sqlx::query(
            "UPDATE sessions SET user_id = (SELECT id FROM users WHERE username = $2),
                                 data = $3, expires_at = $4
             WHERE id = $1",
        )
        .bind(key(&record.id))
        .bind(username.as_deref())
        .bind(&data)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
        // exercise:as
        // TODO(step 04): update the session's row (found by `key(&record.id)`)
        // with the new user, data and expiry. Update only: a row another
        // server deleted must stay deleted.
        // See book/src/04-db-sessions.md, "A session store".
        //~ let _ = (&username, expires_at, &data);
        //~ todo!("update the session row")
        // exercise:end
    }
    // ANCHOR_END: save

    // ANCHOR: load
    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        // exercise:cut
        let row: Option<(String, i64)> = self
            .reads
            .fetch_optional(
                sqlx::query_as("SELECT data, expires_at FROM sessions WHERE id = $1").bind(key(id)),
            )
            .await
            .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        if expires_at <= now() {
            // Expired is refused now, and its row goes now; the sweep is
            // for the rows nobody presents again.
            self.delete(id).await?;
            return Ok(None);
        }
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(expires_at)
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
        // exercise:as
        // TODO(step 04): read the session's row (`key(id)`) with
        // `self.reads.fetch_optional(query)`, which is the query's own
        // `fetch_optional` on a connection kept for it. No row: `None`.
        // A row whose `expires_at` has passed: delete it and answer `None`.
        // Otherwise rebuild the `Record` from `data` (JSON) and `expires_at`.
        // See book/src/04-db-sessions.md, "Expiry and the sweep".
        //~ let _ = id;
        //~ todo!("load the session row")
        // exercise:end
    }
    // ANCHOR_END: load

    async fn delete(&self, id: &Id) -> Result<()> {
        // exercise:cut
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(key(id))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
        // exercise:as
        // TODO(step 04): delete the session's row (`key(id)`): sign-out
        // depends on it. See book/src/04-db-sessions.md, "A session store".
        //~ let _ = id;
        //~ todo!("delete the session row")
        // exercise:end
    }
}

// ANCHOR: key
/// The row's key: the SHA-256 of the cookie's id. The id is 128 random bits,
/// so a fast hash is enough (there is nothing to guess), and whoever reads
/// the table, or a backup of it, learns no id they could present.
pub fn key(id: &Id) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(id.to_string().as_bytes());
    digest.iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}
// ANCHOR_END: key

fn backend(error: sqlx::Error) -> Error {
    Error::Backend(error.to_string())
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    async fn store() -> (SqlStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&crate::db::url(None, dir.path())).await.unwrap();
        (SqlStore::new(pool, Duration::from_secs(1800)), dir)
    }

    fn record(expires_in: i64) -> Record {
        let signed_in = SignedIn {
            username: "nobody".into(),
            expires_at: now() + expires_in,
            ends_at: now() + expires_in,
        };
        let data =
            HashMap::from([(SIGNED_IN.to_owned(), serde_json::to_value(signed_in).unwrap())]);
        Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() }
    }

    #[tokio::test]
    async fn a_session_is_created_loaded_and_deleted() {
        let (store, _dir) = store().await;
        let mut record = record(60);
        store.create(&mut record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().expect("just created");
        assert_eq!(loaded.data, record.data);
        store.delete(&record.id).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn saving_a_deleted_session_does_not_bring_it_back() {
        let (store, _dir) = store().await;
        let mut record = record(60);
        store.create(&mut record).await.unwrap();
        // Another server signs the session out while this one still holds it.
        store.delete(&record.id).await.unwrap();
        store.save(&record).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_expired_session_is_refused_and_its_row_removed_at_once() {
        let (store, _dir) = store().await;
        let mut record = record(-1);
        store.create(&mut record).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none());
        let rows: (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sessions").fetch_one(&store.pool).await.unwrap();
        assert_eq!(rows.0, 0);
    }

    #[tokio::test]
    async fn the_sweep_deletes_expired_rows_only() {
        let (store, _dir) = store().await;
        let (mut old, mut live) = (record(-1), record(60));
        store.create(&mut old).await.unwrap();
        store.create(&mut live).await.unwrap();
        assert_eq!(store.delete_expired().await.unwrap(), 1);
        assert!(store.load(&live.id).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn the_table_holds_a_hash_of_the_id_never_the_id() {
        let (store, _dir) = store().await;
        let mut record = record(60);
        store.create(&mut record).await.unwrap();
        let (id,): (String,) =
            sqlx::query_as("SELECT id FROM sessions").fetch_one(&store.pool).await.unwrap();
        assert_eq!(id, key(&record.id));
        assert!(!id.contains(&record.id.to_string()));
    }
}
