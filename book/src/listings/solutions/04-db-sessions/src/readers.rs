//! A few SQLite connections kept aside for the reads every request makes:
//! its session's row, and from step 05 on the profile it shows.
//!
//! sqlx runs each SQLite connection on a thread of its own, so a query is a
//! trip to that thread and back. A connection taken from the pool also
//! makes a second trip when it goes back: sqlx pings every connection on
//! its return (`PoolConnection`'s drop), always, with no option to turn it
//! off. For a PostgreSQL connection that check is worth its trip, since the
//! server may have dropped it. An SQLite connection is a file in this
//! process and cannot be dropped by anyone, and the second trip was a third
//! of the cost of a signed-in request.
//!
//! So up to [`KEPT`] connections are taken out of the pool once and kept
//! here, and a read that finds one idle runs on it. A read that finds none,
//! and every read of PostgreSQL, goes through the pool as before. Only a
//! read that finished is given its connection back; one that failed or was
//! cancelled half way (the client hung up) closes it, and a later read
//! opens another. The pool itself is left whole for everything else.

use std::{
    ops::{Deref, DerefMut},
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use sqlx::{
    Any, AnyConnection, AnyPool, FromRow,
    any::{AnyArguments, AnyRow},
    query::QueryAs,
};

use crate::db::Backend;

/// How many connections are kept at most. A read holds one for tens of
/// microseconds, so on a machine of a few cores more reads than this at
/// the same moment would be waiting for a core, not for a connection.
/// Measured on 2 cores: 4 kept gave 31 % of the ceiling, 8 gave 36 %.
pub const KEPT: usize = 8;

#[derive(Debug)]
pub struct Readers {
    pool: AnyPool,
    /// Kept connections nobody is reading on.
    idle: Mutex<Vec<AnyConnection>>,
    /// Kept connections in all: idle, or out on a read.
    kept: AtomicUsize,
    most: usize,
}

impl Readers {
    /// Keeps connections for SQLite, none for any other database.
    pub fn new(pool: AnyPool) -> Self {
        let sqlite = Backend::of_pool(&pool) == Some(Backend::Sqlite);
        Self::keeping(pool, if sqlite { KEPT } else { 0 })
    }

    fn keeping(pool: AnyPool, most: usize) -> Self {
        Self { pool, idle: Mutex::default(), kept: AtomicUsize::new(0), most }
    }

    // ANCHOR: fetch_optional
    /// `query.fetch_optional`, on a kept connection when one is free.
    pub async fn fetch_optional<'q, O>(
        &self,
        query: QueryAs<'q, Any, O, AnyArguments<'q>>,
    ) -> Result<Option<O>, sqlx::Error>
    where
        O: Send + Unpin + for<'r> FromRow<'r, AnyRow> + 'q,
    {
        match self.take().await? {
            Some(mut reader) => {
                let row = query.fetch_optional(&mut *reader).await?;
                reader.give_back();
                Ok(row)
            }
            None => query.fetch_optional(&self.pool).await,
        }
    }
    // ANCHOR_END: fetch_optional

    /// An idle kept connection; else a new one while fewer than `most` are
    /// kept; else `None`, and the caller uses the pool.
    async fn take(&self) -> Result<Option<Reader<'_>>, sqlx::Error> {
        if let Some(connection) = self.lock_idle().pop() {
            return Ok(Some(Reader {
                connection: Some(connection),
                readers: self,
                finished: false,
            }));
        }
        let counted = self.kept.fetch_update(Ordering::AcqRel, Ordering::Acquire, |kept| {
            (kept < self.most).then_some(kept + 1)
        });
        if counted.is_err() {
            return Ok(None);
        }
        // Counted from here on: if the acquire fails or is cancelled, the
        // reader's drop uncounts it.
        let mut reader = Reader { connection: None, readers: self, finished: false };
        // Detached: the pool forgets it and may open another in its place,
        // so keeping connections never leaves the pool short.
        reader.connection = Some(self.pool.acquire().await?.detach());
        Ok(Some(reader))
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<AnyConnection>> {
        // A panic while the lock was held cannot leave the list half made:
        // it is a push or a pop.
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A kept connection out on a read.
struct Reader<'a> {
    connection: Option<AnyConnection>,
    readers: &'a Readers,
    finished: bool,
}

impl Reader<'_> {
    /// The read finished: the connection is fit for the next one.
    fn give_back(mut self) {
        self.finished = true;
    }
}

impl Deref for Reader<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.connection.as_ref().expect("a reader holds its connection until dropped")
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.connection.as_mut().expect("a reader holds its connection until dropped")
    }
}

// ANCHOR: drop
impl Drop for Reader<'_> {
    fn drop(&mut self) {
        match self.connection.take() {
            Some(connection) if self.finished => self.readers.lock_idle().push(connection),
            // Failed, cancelled, or never opened: dropping the connection
            // closes it, and its place is free for a new one.
            _ => {
                self.readers.kept.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }
}
// ANCHOR_END: drop

#[cfg(test)]
mod tests {
    use super::*;

    async fn pool() -> (AnyPool, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (crate::db::open(&crate::db::url(None, dir.path())).await.unwrap(), dir)
    }

    fn one() -> QueryAs<'static, Any, (i64,), AnyArguments<'static>> {
        sqlx::query_as("SELECT 1")
    }

    fn counts(readers: &Readers) -> (usize, usize) {
        (readers.lock_idle().len(), readers.kept.load(Ordering::Acquire))
    }

    #[tokio::test]
    async fn sqlite_keeps_connections_and_a_read_reuses_one() {
        let (pool, _dir) = pool().await;
        let readers = Readers::new(pool);
        assert_eq!(readers.most, KEPT);
        for _ in 0..3 {
            assert_eq!(readers.fetch_optional(one()).await.unwrap(), Some((1,)));
        }
        assert_eq!(counts(&readers), (1, 1), "three reads one after another need one connection");
    }

    #[tokio::test]
    async fn no_more_than_most_are_kept_and_the_rest_use_the_pool() {
        let (pool, _dir) = pool().await;
        let readers = Readers::keeping(pool, 2);
        let first = readers.take().await.unwrap().expect("room for a first");
        let second = readers.take().await.unwrap().expect("room for a second");
        assert!(readers.take().await.unwrap().is_none(), "a third goes to the pool");
        assert_eq!(readers.fetch_optional(one()).await.unwrap(), Some((1,)));
        first.give_back();
        second.give_back();
        assert_eq!(counts(&readers), (2, 2));
    }

    #[tokio::test]
    async fn a_failed_read_closes_its_connection_and_frees_its_place() {
        let (pool, _dir) = pool().await;
        let readers = Readers::keeping(pool, 1);
        let failed =
            readers.fetch_optional(sqlx::query_as::<_, (i64,)>("SELECT nothing FROM nowhere"));
        assert!(failed.await.is_err());
        assert_eq!(counts(&readers), (0, 0));
        assert_eq!(readers.fetch_optional(one()).await.unwrap(), Some((1,)));
        assert_eq!(counts(&readers), (1, 1));
    }

    #[tokio::test]
    async fn a_cancelled_read_is_not_given_back() {
        let (pool, _dir) = pool().await;
        let readers = Readers::keeping(pool, 1);
        let reader = readers.take().await.unwrap().expect("room for one");
        drop(reader); // what a dropped request future does half way
        assert_eq!(counts(&readers), (0, 0));
    }

    #[tokio::test]
    async fn the_pool_stays_whole_while_connections_are_kept() {
        let (pool, _dir) = pool().await;
        let readers = Readers::keeping(pool.clone(), 2);
        let _held = (readers.take().await.unwrap(), readers.take().await.unwrap());
        let most = pool.options().get_max_connections() as usize;
        let mut taken = Vec::new();
        for _ in 0..most {
            taken.push(pool.acquire().await.expect("every one of the pool's connections"));
        }
    }

    #[tokio::test]
    async fn postgres_keeps_none() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        assert_eq!(Readers::new(pool).most, 0);
    }
}
