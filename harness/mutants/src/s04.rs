//! Step 04 (`04-db-sessions`), written from `book/src/contract.md` alone: step 02's
//! routes with accounts and sessions in SQL through sqlx's Any driver,
//! SQLite in `$DATA_DIR/app.db` unless `DATABASE_URL` names a PostgreSQL
//! database. A session is a row and nothing more, read on every request,
//! so servers sharing one database share every sign-in and sign-out.
//! Remember-me sign-ins live `REMEMBER_TTL_SECS`. Every deliberate flaw is
//! one `if self.has("...")` away from the correct code.

mod sql;

use std::{
    collections::HashMap,
    io,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{Router, http::HeaderMap};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sqlx::{AnyPool, any::AnyPoolOptions};

use self::sql::{Backend, Sql};
use crate::{
    Config, passwords,
    s01::{new_id, session_cookie},
    s02::{self, Accounts, BoxFuture, RegisterError, SessionStore, Stores},
};

/// Characters that would end or change an SQLite path inside a URL.
const PATH_IN_URL: &AsciiSet = &CONTROLS.add(b'%').add(b'?').add(b'#');
/// The longest pause between sweeps; shorter when sessions are short.
const SWEEP_AT_MOST_EVERY: Duration = Duration::from_secs(60);
/// How long the `parallel-fail` flaw holds its lock after writing a row.
const SETTLE: Duration = Duration::from_millis(100);

struct Db {
    pool: AnyPool,
    sql: Sql,
}

/// Step 04's server. It connects and creates the tables before it
/// listens: a database it cannot use stops it at start.
pub async fn app(config: Config, flaw: &'static str) -> Result<Router, String> {
    let url = database_url(&config);
    let backend = Backend::of(&url)?;
    let pool = connect(&url, backend).await?;
    let db = Arc::new(Db { pool, sql: Sql::new(backend, flaw) });
    for statement in &db.sql.create {
        sqlx::query(statement)
            .execute(&db.pool)
            .await
            .map_err(|e| format!("cannot create the tables in {}: {e}", redacted(&url)))?;
    }
    if flaw == "forget-on-restart" {
        // "Stale sessions from the last run": everyone is signed out.
        sqlx::query(&db.sql.delete_all_sessions)
            .execute(&db.pool)
            .await
            .map_err(|e| format!("cannot clear the sessions: {e}"))?;
    }
    if !matches!(flaw, "no-sweep" | "no-expiry") {
        let every = config.session_ttl.clamp(Duration::from_secs(1), SWEEP_AT_MOST_EVERY);
        tokio::spawn(sweep_every(db.clone(), every));
    }
    eprintln!("mutant: step 04 on {} ({backend:?})", redacted(&url));
    let stores = Stores {
        accounts: Box::new(SqlAccounts { flaw, db: db.clone() }),
        sessions: Box::new(SqlSessions {
            flaw,
            db,
            memory: Mutex::default(),
            signing_in: tokio::sync::Mutex::default(),
        }),
        remember: Some(config.remember_ttl),
    };
    Ok(s02::router(config, flaw, stores))
}

/// `DATABASE_URL`, or the contract's default: `app.db` in the data folder.
fn database_url(config: &Config) -> String {
    config.database_url.clone().unwrap_or_else(|| {
        let path = config.data_dir.join("app.db");
        format!("sqlite://{}", utf8_percent_encode(&path.to_string_lossy(), PATH_IN_URL))
    })
}

async fn connect(url: &str, backend: Backend) -> Result<AnyPool, String> {
    sqlx::any::install_default_drivers();
    let url = match backend {
        // Read, write, and create the file if there is none.
        Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
        _ => url.to_owned(),
    };
    let pool = AnyPoolOptions::new()
        // Fail within a request's patience rather than queue for 30 s.
        .acquire_timeout(Duration::from_secs(5))
        .connect(&url)
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", redacted(&url)))?;
    if backend == Backend::Sqlite {
        // Write-ahead logging lets readers (another server, the grader) in
        // while one writes; the file keeps the setting. Writers wait for
        // each other up to sqlx's busy timeout of 5 s.
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&pool)
            .await
            .map_err(|e| format!("cannot turn on write-ahead logging: {e}"))?;
    }
    Ok(pool)
}

/// `url` with any password replaced, fit for a log line.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    match rest.rsplit_once('@') {
        Some((credentials, host)) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a cookie value can be one of our ids (32 hex digits); anything
/// else is no session, and never reaches the database.
fn is_id(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `text` with `value` pasted in, quoted, where the parameter `$1` was: the
/// string-built SQL of the injection flaws.
fn pasted(text: &str, value: &str) -> String {
    text.replace("$1", &format!("'{value}'"))
}

async fn sweep_every(db: Arc<Db>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match sqlx::query(&db.sql.sweep).bind(now()).execute(&db.pool).await {
            Ok(done) if done.rows_affected() > 0 => {
                eprintln!("mutant: swept {} expired sessions", done.rows_affected());
            }
            Ok(_) => {}
            Err(error) => eprintln!("mutant: cannot sweep sessions: {error}"),
        }
    }
}

// ---------------------------------------------------------------- accounts

struct SqlAccounts {
    flaw: &'static str,
    db: Arc<Db>,
}

impl SqlAccounts {
    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("04", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    /// How passwords are hashed: argon2id, or unsalted SHA-256 for the flaw.
    fn scheme(&self) -> &'static str {
        if self.has("sha256-hash") { "sha256" } else { mutants::NONE }
    }

    /// The password as it is hashed: as typed, or for the flaw without its
    /// backslashes, at registration and sign-in alike (`a\b` is `ab`).
    fn as_hashed(&self, password: &str) -> String {
        if self.has("stripped-backslashes") {
            password.replace('\\', "")
        } else {
            password.to_owned()
        }
    }

    /// `username, password_hash` of a lower-cased name.
    async fn find(&self, username: &str) -> Result<Option<(String, String)>, sqlx::Error> {
        if self.has("string-sql") {
            // A quote in the name ends the string early.
            let text = pasted(&self.db.sql.find_user, username);
            return sqlx::query_as(&text).fetch_optional(&self.db.pool).await;
        }
        sqlx::query_as(&self.db.sql.find_user).bind(username).fetch_optional(&self.db.pool).await
    }
}

impl Accounts for SqlAccounts {
    fn check_password<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, io::Result<Option<String>>> {
        Box::pin(async move {
            let account = self.find(&username.to_lowercase()).await.map_err(io::Error::other)?;
            let stored = account.as_ref().map(|(_, hash)| hash.clone());
            let matches =
                passwords::matches(self.scheme(), &self.as_hashed(password), stored).await;
            Ok(account.filter(|_| matches).map(|(username, _)| username))
        })
    }

    fn register<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<String, RegisterError>> {
        Box::pin(async move {
            let storage = |error| RegisterError::Storage(io::Error::other(error));
            let username = username.to_lowercase();
            // Counted before the slow hashing: registrations at once all
            // count the same number, and all but one collide on it.
            let numbered = if self.has("max-plus-one") {
                let next = sqlx::query_scalar::<_, i64>(&self.db.sql.next_user_id);
                Some(next.fetch_one(&self.db.pool).await.map_err(storage)?)
            } else {
                None
            };
            let (scheme, secret) = (self.scheme(), self.as_hashed(password));
            let hash = tokio::task::spawn_blocking(move || passwords::make_hash(scheme, &secret))
                .await
                .map_err(io::Error::other)
                .and_then(|hash| hash)
                .map_err(RegisterError::Storage)?;
            // The UNIQUE column decides, not a look beforehand: two
            // registrations of one name at once cannot both get in.
            let insert = match numbered {
                Some(id) => sqlx::query_scalar(&self.db.sql.insert_numbered_user).bind(id),
                None => sqlx::query_scalar(&self.db.sql.insert_user),
            };
            let id: Option<i64> = insert
                .bind(&username)
                .bind(hash)
                .bind(now())
                .fetch_optional(&self.db.pool)
                .await
                .map_err(storage)?;
            id.map(|_| username).ok_or(RegisterError::Taken)
        })
    }
}

// ---------------------------------------------------------------- sessions

/// A session as read.
#[derive(Clone)]
struct Found {
    username: String,
    expires_at: i64,
    /// Seconds each use extends it by.
    lifetime: i64,
}

struct SqlSessions {
    flaw: &'static str,
    db: Arc<Db>,
    /// The only sessions of `memory-sessions`; the ones `session-cache`
    /// believes before the database. Empty otherwise.
    memory: Mutex<HashMap<String, Found>>,
    /// `parallel-fail`: one sign-in at a time, and a 500 for the others.
    signing_in: tokio::sync::Mutex<()>,
}

impl SqlSessions {
    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("04", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    fn in_memory(&self) -> bool {
        self.has("memory-sessions") || self.has("session-cache")
    }

    /// The row of session `id`, if there is one.
    async fn load(&self, id: &str) -> Option<Found> {
        let row: Result<Option<(String, i64, i64)>, _> = if self.has("cookie-sql") {
            let text = pasted(&self.db.sql.find_session, id);
            sqlx::query_as(&text).fetch_optional(&self.db.pool).await
        } else {
            sqlx::query_as(&self.db.sql.find_session).bind(id).fetch_optional(&self.db.pool).await
        };
        let row = row.map_err(|error| eprintln!("mutant: cannot read a session: {error}")).ok()?;
        row.map(|(username, expires_at, lifetime)| Found { username, expires_at, lifetime })
    }

    /// Session `id`, unexpired, renewed when a tenth of its lifetime is used.
    async fn current(&self, id: &str) -> Option<String> {
        if !is_id(id) && !self.has("cookie-sql") {
            return None;
        }
        let remembered = if self.in_memory() { lock(&self.memory).get(id).cloned() } else { None };
        let mut found = match remembered {
            Some(found) => found,
            None if self.has("memory-sessions") => return None,
            None => self.load(id).await?,
        };
        let now = now();
        if found.expires_at <= now && !self.has("no-expiry") {
            self.delete(id).await;
            return None;
        }
        if found.expires_at - now < found.lifetime - found.lifetime / 10 {
            found.expires_at = now.saturating_add(found.lifetime);
            if !self.has("memory-sessions") {
                // A row deleted meanwhile (signed out elsewhere) stays deleted.
                let renewed = sqlx::query(&self.db.sql.renew_session)
                    .bind(found.expires_at)
                    .bind(id)
                    .execute(&self.db.pool)
                    .await;
                if let Err(error) = renewed {
                    eprintln!("mutant: cannot renew a session: {error}");
                }
            }
        }
        if self.in_memory() {
            lock(&self.memory).insert(id.to_owned(), found.clone());
        }
        Some(found.username)
    }

    async fn delete(&self, id: &str) {
        lock(&self.memory).remove(id);
        if let Err(error) =
            sqlx::query(&self.db.sql.delete_session).bind(id).execute(&self.db.pool).await
        {
            eprintln!("mutant: cannot delete a session: {error}");
        }
    }

    async fn create(&self, username: &str, id: &str, lifetime: Duration) -> io::Result<()> {
        let (now, lifetime) = (now(), seconds(lifetime));
        let found = Found {
            username: username.to_owned(),
            expires_at: now.saturating_add(lifetime),
            lifetime,
        };
        if self.in_memory() {
            lock(&self.memory).insert(id.to_owned(), found.clone());
        }
        if self.has("memory-sessions") {
            return Ok(());
        }
        let written = sqlx::query(&self.db.sql.insert_session)
            .bind(id)
            .bind(found.expires_at)
            .bind(lifetime)
            .bind(now)
            .bind(username)
            .execute(&self.db.pool)
            .await
            .map_err(io::Error::other)?;
        if written.rows_affected() != 1 {
            return Err(io::Error::other(format!("no account {username:?} to sign in")));
        }
        Ok(())
    }
}

impl SessionStore for SqlSessions {
    fn current_user<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move { self.current(session_cookie(headers)?).await })
    }

    fn sign_in<'a>(
        &'a self,
        username: &'a str,
        headers: &'a HeaderMap,
        lifetime: Duration,
    ) -> BoxFuture<'a, io::Result<String>> {
        Box::pin(async move {
            let _one_at_a_time = if self.has("parallel-fail") {
                let busy = |_| io::Error::other("another sign-in is being written");
                Some(self.signing_in.try_lock().map_err(busy)?)
            } else {
                None
            };
            // The session the browser had is over, whoever it was.
            if let Some(old) = session_cookie(headers).filter(|value| is_id(value)) {
                self.delete(old).await;
            }
            let id = new_id();
            self.create(username, &id, lifetime).await?;
            if self.has("parallel-fail") {
                // "Let the write settle" before the next sign-in may start.
                tokio::time::sleep(SETTLE).await;
            }
            Ok(id)
        })
    }

    fn sign_out<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(id) = session_cookie(headers).filter(|value| is_id(value)) else {
                return;
            };
            if self.has("logout-keeps-row") {
                // Only the cookie is expired, by the caller.
                return;
            }
            if self.has("logout-deletes-all") {
                // Signed out everywhere, not only in this browser.
                let deleted = sqlx::query(&self.db.sql.delete_account_sessions)
                    .bind(id)
                    .execute(&self.db.pool)
                    .await;
                if let Err(error) = deleted {
                    eprintln!("mutant: cannot delete sessions: {error}");
                }
                return;
            }
            self.delete(id).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_ids_reach_the_database() {
        assert!(is_id(&new_id()));
        for value in ["", "x' OR '1'='1", &"a".repeat(31), &"g".repeat(32), &"a".repeat(33)] {
            assert!(!is_id(value), "{value:?}");
        }
    }

    #[test]
    fn the_injection_flaws_paste_the_value_in() {
        assert_eq!(
            pasted("SELECT 1 WHERE a = $1", "x' OR '1'='1"),
            "SELECT 1 WHERE a = 'x' OR '1'='1'"
        );
    }

    #[test]
    fn passwords_stay_out_of_logged_urls() {
        assert_eq!(redacted("postgres://me:secret@db/app"), "postgres://me:***@db/app");
        assert_eq!(redacted("postgres://me@db/app"), "postgres://me@db/app");
        assert_eq!(redacted("sqlite:///tmp/app.db"), "sqlite:///tmp/app.db");
    }

    #[test]
    fn the_default_database_is_app_db_in_the_data_folder() {
        let config = |data_dir: &str, database_url: Option<&str>| Config {
            host: "127.0.0.1".into(),
            port: 5000,
            data_dir: data_dir.into(),
            static_dir: "static".into(),
            public_url: "http://localhost:5000".into(),
            session_ttl: Duration::from_secs(1800),
            session_absolute_ttl: Duration::from_secs(43_200),
            session_secret: None,
            remember_ttl: Duration::from_secs(2_592_000),
            database_url: database_url.map(str::to_owned),
        };
        assert_eq!(database_url(&config("/tmp/d", None)), "sqlite:///tmp/d/app.db");
        assert_eq!(database_url(&config("/tmp/a?b#c", None)), "sqlite:///tmp/a%3Fb%23c/app.db");
        assert_eq!(database_url(&config("d", Some("postgres://h/x"))), "postgres://h/x");
    }
}
