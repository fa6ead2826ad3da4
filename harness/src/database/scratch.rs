//! A PostgreSQL database of its own for each grading run: made with a
//! random name on the server `--database-url` names, given to the step
//! server as `DATABASE_URL`, and dropped afterwards, whatever happened in
//! between. Two runs never see each other's tables, and a run never sees
//! (or harms) the database the URL itself names.

use std::{sync::Mutex, time::Duration};

use reqwest::Url;
use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};

/// How long making or dropping a database may take before giving up.
const WITHIN: Duration = Duration::from_secs(15);

/// Scratch databases not dropped yet, as (server URL, name): what Ctrl-C
/// drops before the harness exits.
static LIVE: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Whether `url` names a PostgreSQL server.
pub fn is_postgres_url(url: &str) -> bool {
    Url::parse(url).is_ok_and(|url| matches!(url.scheme(), "postgres" | "postgresql"))
}

/// A database made for one grading run. Drop it with [`Scratch::remove`];
/// if that never happens (a panic, a run cut short), dropping the value
/// drops the database too.
pub struct Scratch {
    /// The URL given, through which the database is made and dropped.
    server_url: String,
    name: String,
    url: String,
    removed: bool,
}

impl Scratch {
    /// Makes a new, empty database on the server of `server_url` (which
    /// must let its user `CREATE DATABASE`).
    pub async fn create(server_url: &str) -> Result<Self, String> {
        if !is_postgres_url(server_url) {
            return Err(format!("{} is not a postgres:// URL", redacted(server_url)));
        }
        let name = format!("authlings_{}", crate::sandbox::random_token());
        let url = with_database(server_url, &name)?;
        let sql = format!("CREATE DATABASE {}", quoted(&name));
        run_on_server(server_url, &sql).await?;
        LIVE.lock().expect("scratch registry").push((server_url.to_owned(), name.clone()));
        Ok(Self { server_url: server_url.to_owned(), name, url, removed: false })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The database's own URL: what the step server gets as DATABASE_URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database, ending any connection still open to it.
    pub async fn remove(mut self) -> Result<(), String> {
        self.removed = true;
        forget(&self.name);
        drop_database(&self.server_url, &self.name).await
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.removed {
            forget(&self.name);
            if let Err(error) = drop_blocking(&self.server_url, &self.name) {
                eprintln!("warning: {error}");
            }
        }
    }
}

/// Drops every scratch database not dropped yet: for Ctrl-C, after the
/// servers are killed and before the harness exits. Blocks.
pub fn remove_leftovers() {
    let leftovers = std::mem::take(&mut *LIVE.lock().expect("scratch registry"));
    for (server_url, name) in leftovers {
        if let Err(error) = drop_blocking(&server_url, &name) {
            eprintln!("warning: {error}");
        }
    }
}

/// Drops a database from synchronous code (`Drop`, a signal handler),
/// where the caller's runtime may be busy, unwinding or gone: a thread
/// with a runtime of its own does the work, and is waited for.
fn drop_blocking(server_url: &str, name: &str) -> Result<(), String> {
    let (server_url, name) = (server_url.to_owned(), name.to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot drop the grading database {name}: {e}"))?;
        runtime.block_on(drop_database(&server_url, &name))
    })
    .join()
    .unwrap_or_else(|_| Err("cannot drop the grading database: its thread panicked".into()))
}

fn forget(name: &str) {
    LIVE.lock().expect("scratch registry").retain(|(_, live)| live != name);
}

async fn drop_database(server_url: &str, name: &str) -> Result<(), String> {
    // FORCE (PostgreSQL 13+) ends the connections a killed server's pool
    // may still hold open.
    let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quoted(name));
    run_on_server(server_url, &sql).await.map_err(|error| {
        format!("cannot drop the grading database {name} ({error}); drop it by hand with {sql}")
    })
}

/// Runs one statement that must run outside a transaction (CREATE and
/// DROP DATABASE) on a connection of its own.
async fn run_on_server(server_url: &str, sql: &str) -> Result<(), String> {
    let shown = redacted(server_url);
    let work = async {
        let options: PgConnectOptions = server_url.parse()?;
        let mut connection =
            PgConnection::connect_with(&options.application_name("authlings")).await?;
        // No parameters: the simple protocol, which runs it as it stands.
        sqlx::raw_sql(sql).execute(&mut connection).await?;
        connection.close().await
    };
    match tokio::time::timeout(WITHIN, work).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("{sql} on {shown}: {error}")),
        Err(_) => Err(format!("{sql} on {shown}: no answer within {} s", WITHIN.as_secs())),
    }
}

/// `server_url` naming the database `name` instead of its own.
fn with_database(server_url: &str, name: &str) -> Result<String, String> {
    let mut url = Url::parse(server_url).map_err(|e| format!("{}: {e}", redacted(server_url)))?;
    url.set_path(&format!("/{name}"));
    // A `dbname` parameter would win over the path.
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != "dbname")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    Ok(url.to_string())
}

/// An identifier in double quotes. The names are ours (`authlings_` and
/// hex digits), so this is belt and braces.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `url` without its password, fit for a message.
pub fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_gets_its_own_database_on_the_same_server() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "authlings_1").unwrap(),
            "postgres://postgres@127.0.0.1:5432/authlings_1"
        );
        assert_eq!(
            with_database("postgresql://u:p@db?sslmode=disable&dbname=app", "authlings_2").unwrap(),
            "postgresql://u:p@db/authlings_2?sslmode=disable"
        );
    }

    #[test]
    fn only_postgres_urls_are_taken_and_passwords_never_shown() {
        assert!(is_postgres_url("postgres://h/db") && is_postgres_url("postgresql://h"));
        assert!(!is_postgres_url("sqlite://data/app.db") && !is_postgres_url("nonsense"));
        assert_eq!(redacted("postgres://me:secret@db/app"), "postgres://me:***@db/app");
        assert_eq!(redacted("postgres://me@db/app"), "postgres://me@db/app");
    }
}
