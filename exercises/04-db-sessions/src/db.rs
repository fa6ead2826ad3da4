//! The database: SQLite in the data folder unless `DATABASE_URL` names
//! another, PostgreSQL when it starts with `postgres://`. The code speaks to
//! both through sqlx's `Any` driver; only the migrations differ.

use std::{path::Path, pin::Pin, time::Duration};

use sqlx::{
    AnyPool,
    any::AnyPoolOptions,
    error::BoxDynError,
    migrate::{MigrateError, Migration, MigrationSource, Migrator},
};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn of(url: &str) -> Result<Self, Error> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(format!("DATABASE_URL must start with sqlite: or postgres://, not {url:?}").into())
        }
    }

    /// The backend an open pool speaks to, if it is one of these.
    pub fn of_pool(pool: &AnyPool) -> Option<Self> {
        Self::of(pool.connect_options().database_url.as_str()).ok()
    }

    /// The migrations of this backend, embedded in the binary at compile
    /// time. Most SQL is the same in both; column types are not.
    fn migrations(self) -> Migrator {
        match self {
            Self::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Self::Postgres => sqlx::migrate!("migrations/postgres"),
        }
    }
}

/// `DATABASE_URL`, or the contract's default: `app.db` in the data folder.
pub fn url(database_url: Option<&str>, data_dir: &Path) -> String {
    match database_url {
        Some(url) => url.to_owned(),
        None => format!("sqlite://{}", data_dir.join("app.db").display()),
    }
}

/// Connects, creating an SQLite file if there is none, and brings the
/// tables up to date. A database that cannot be reached stops the server
/// with a message that says which one.
pub async fn open(url: &str) -> Result<AnyPool, Error> {
    open_with(url, None).await
}

/// [`open`] for a later step that adds to these tables: `later` gives its
/// migrations for the backend, which run after this step's.
pub async fn open_with(url: &str, later: Option<Later>) -> Result<AnyPool, Error> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of(url)?;
    let connect_url = match backend {
        Backend::Sqlite => {
            create_private(url)?;
            // `mode=rwc`: read, write, and create the file if missing.
            if url.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") }
        }
        _ => url.to_owned(),
    };
    let pool = AnyPoolOptions::new()
        // Fail fast at start-up and under overload instead of queueing for 30 s.
        .acquire_timeout(Duration::from_secs(5))
        // sqlx pings a connection each time it is taken from the pool, in
        // case the server dropped it. An SQLite connection is a file in
        // this process and cannot be dropped; its ping is one more trip to
        // the connection's thread, on every query. PostgreSQL keeps it.
        .test_before_acquire(backend != Backend::Sqlite)
        .connect(&connect_url)
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", redacted(url)))?;
    let migrations = chain(backend.migrations(), later.map(|later| later(backend))).await?;
    // SQLite has no lock for migrations (PostgreSQL has one, which sqlx
    // takes): two servers starting at once on a new file can collide. The
    // loser finds the work done when it tries again.
    let mut attempt = 1;
    loop {
        let ready = async {
            if backend == Backend::Sqlite {
                // Write-ahead logging: readers do not wait for a writer, so
                // two servers (or the grader) can share the file. It is a
                // property of the file, kept once set.
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&pool)
                    .await
                    .map_err(MigrateError::from)?;
            }
            migrations.run(&pool).await
        };
        match ready.await {
            Ok(()) => return Ok(pool),
            Err(MigrateError::VersionMismatch(version)) => {
                return Err(format!(
                    "migration {version} changed after it ran on {}. sqlx refuses to guess; \
                     while developing, delete that database to start afresh; \
                     once it holds real data, put the change in a new migration instead",
                    redacted(url)
                )
                .into());
            }
            Err(error) if backend == Backend::Sqlite && attempt < 5 => {
                tracing::warn!(%error, attempt, "preparing the SQLite database; trying again");
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                attempt += 1;
            }
            Err(error) => {
                return Err(
                    format!("cannot migrate the database {}: {error}", redacted(url)).into()
                );
            }
        }
    }
}

/// A later step's migrations for a backend, as `sqlx::migrate!` embeds them.
pub type Later = fn(Backend) -> Migrator;

/// This step's migrations followed by a later step's, as one history. Not
/// two migrators one after the other: sqlx refuses a database that ran a
/// migration its migrator does not list, so each would refuse the other's.
async fn chain(first: Migrator, then: Option<Migrator>) -> Result<Migrator, Error> {
    let Some(then) = then else {
        return Ok(first);
    };
    Ok(Migrator::new(InMemory(first.iter().chain(then.iter()).cloned().collect())).await?)
}

/// Migrations already in memory, in the form `Migrator::new` takes.
#[derive(Debug)]
struct InMemory(Vec<Migration>);

impl<'s> MigrationSource<'s> for InMemory {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move { Ok(self.0) })
    }
}

/// Creates the SQLite file of `url`, if missing, readable by the server's
/// user only: it holds the password hashes, as `users.json` did. SQLite
/// gives its `-wal` and `-shm` files the same permissions.
fn create_private(url: &str) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt;

    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') {
        return Ok(()); // `sqlite::memory:`: no file.
    }
    let created =
        std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(path);
    match created {
        Ok(_) => Ok(()),
        Err(error) => Err(format!("cannot create the database file {path}: {error}").into()),
    }
}

/// `url` without its password, fit for a log or an error message.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(redacted("postgres://me:secret@db/app"), "postgres://me:***@db/app");
        assert_eq!(redacted("postgres://me@db/app"), "postgres://me@db/app");
        assert_eq!(redacted("sqlite:///tmp/app.db"), "sqlite:///tmp/app.db");
    }

    #[test]
    fn only_sqlite_and_postgres_are_understood() {
        assert_eq!(Backend::of("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("postgresql://h/db").unwrap(), Backend::Postgres);
        assert!(Backend::of("mysql://h/db").is_err());
    }

    #[tokio::test]
    async fn a_new_sqlite_file_is_created_and_migrated_twice_without_harm() {
        let dir = tempfile::tempdir().unwrap();
        let url = url(None, dir.path());
        open(&url).await.unwrap().close().await;
        let pool = open(&url).await.unwrap();
        let tables: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(&pool)
                .await
                .unwrap();
        let tables: Vec<&str> = tables.iter().map(|(name,)| name.as_str()).collect();
        assert!(tables.contains(&"users") && tables.contains(&"sessions"), "{tables:?}");
        let mode = std::fs::metadata(dir.path().join("app.db")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the database holds password hashes");
    }
}
