//! Sessions kept in memory until they go unused for `SESSION_TTL_SECS`.
//!
//! tower-sessions' own `MemoryStore` keeps a browser-session record for two
//! weeks and never deletes it, so every sign-in would grow the server for
//! good. This one pushes a record's expiry to `ttl` after each save and
//! sweeps expired records, so memory is bounded by recent use.

use std::{
    collections::HashMap,
    sync::{Arc, Weak},
    time::Duration,
};

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store,
};

type Records = Mutex<HashMap<Id, Record>>;

#[derive(Clone, Debug)]
pub struct MemoryStore {
    records: Arc<Records>,
    ttl: time::Duration,
}

impl MemoryStore {
    /// A store whose records live `ttl` after their last save. Spawns the
    /// sweep, which ends when the last clone of the store is dropped.
    pub fn new(ttl: Duration) -> Self {
        let records = Arc::new(Records::default());
        tokio::spawn(sweep(
            Arc::downgrade(&records),
            ttl.clamp(Duration::from_secs(1), Duration::from_secs(60)),
        ));
        let ttl = time::Duration::try_from(ttl).unwrap_or(time::Duration::MAX);
        Self { records, ttl }
    }

    fn bounded(&self, record: &Record) -> Record {
        let latest = OffsetDateTime::now_utc().saturating_add(self.ttl);
        Record { expiry_date: record.expiry_date.min(latest), ..record.clone() }
    }
}

async fn sweep(records: Weak<Records>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let Some(records) = records.upgrade() else {
            return;
        };
        let now = OffsetDateTime::now_utc();
        records.lock().await.retain(|_, record| record.expiry_date > now);
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut records = self.records.lock().await;
        while records.contains_key(&record.id) {
            record.id = Id::default();
        }
        records.insert(record.id, self.bounded(record));
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.records.lock().await.insert(record.id, self.bounded(record));
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        let records = self.records.lock().await;
        Ok(records.get(id).filter(|record| record.expiry_date > now).cloned())
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.records.lock().await.remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            id: Id::default(),
            data: HashMap::default(),
            expiry_date: OffsetDateTime::now_utc() + time::Duration::weeks(2),
        }
    }

    #[tokio::test]
    async fn a_record_lives_only_ttl_after_its_last_save() {
        let store = MemoryStore::new(Duration::from_secs(60));
        let mut saved = record();
        store.create(&mut saved).await.unwrap();
        let loaded = store.load(&saved.id).await.unwrap().expect("still there");
        assert!(loaded.expiry_date <= OffsetDateTime::now_utc() + time::Duration::seconds(60));
    }

    #[tokio::test(start_paused = true)]
    async fn the_sweep_deletes_expired_records() {
        let store = MemoryStore::new(Duration::from_secs(1));
        let mut expired = record();
        expired.expiry_date = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        store.records.lock().await.insert(expired.id, expired.clone());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(store.records.lock().await.is_empty());
        assert!(store.load(&expired.id).await.unwrap().is_none());
    }
}
