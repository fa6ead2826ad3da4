//! Reading a step server's database from the outside (step 04 on): the
//! SQLite file in its data folder, opened read-only, or a PostgreSQL
//! database by URL in a read-only session. The harness never writes to a
//! student's tables, and reads every value back as text, so that nothing
//! depends on the column types the student chose. [`scratch`] makes and
//! drops the PostgreSQL database a grading run uses.

pub mod scratch;
pub mod timestamp;

use std::path::{Path, PathBuf};

use sqlx::{
    Connection, PgConnection, Row, SqliteConnection, postgres::PgConnectOptions,
    sqlite::SqliteConnectOptions,
};

/// Where the servers of a grading run keep users and sessions.
#[derive(Clone, Debug)]
pub enum Location {
    /// `app.db` in the main server's data folder: the contract's default,
    /// which the main server is left to find by itself.
    DataDirSqlite,
    /// A PostgreSQL database made for the run, given as `DATABASE_URL`.
    Postgres(String),
}

impl Location {
    /// The `DATABASE_URL` that names this database, for a server whose
    /// main one keeps its data in `data_dir`.
    pub fn url(&self, data_dir: &Path) -> String {
        match self {
            Self::DataDirSqlite => format!("sqlite://{}", sqlite_path(data_dir).display()),
            Self::Postgres(url) => url.clone(),
        }
    }
}

/// The contract's default database file in `data_dir`.
pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join("app.db")
}

/// Every value of a result, as text (`None` for NULL).
pub type Rows = Vec<Vec<Option<String>>>;

/// A read-only connection to a step server's database.
pub enum Db {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Db {
    /// Connects to the database at `location` for a main server whose data
    /// folder is `data_dir`. The SQLite file must exist already: the
    /// harness never creates it.
    pub async fn open(location: &Location, data_dir: &Path) -> Result<Self, sqlx::Error> {
        match location {
            Location::DataDirSqlite => {
                let options = SqliteConnectOptions::new()
                    .filename(sqlite_path(data_dir))
                    .read_only(true)
                    .create_if_missing(false);
                Ok(Self::Sqlite(SqliteConnection::connect_with(&options).await?))
            }
            Location::Postgres(url) => {
                let options: PgConnectOptions = url.parse()?;
                let mut connection =
                    PgConnection::connect_with(&options.application_name("authlings")).await?;
                // Nothing this session runs can write; timestamps cast to
                // text come out in one format, in UTC.
                sqlx::raw_sql(
                    "SET default_transaction_read_only = on; SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'",
                )
                .execute(&mut connection)
                .await?;
                Ok(Self::Postgres(connection))
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    /// Runs `sql` (the same text on both backends: `$1` parameters, every
    /// column cast to text) with `binds` as text parameters.
    pub async fn texts(&mut self, sql: &str, binds: &[&str]) -> Result<Rows, sqlx::Error> {
        match self {
            Self::Sqlite(connection) => {
                let mut query = sqlx::query(sql);
                for bind in binds {
                    query = query.bind(*bind);
                }
                let rows = query.fetch_all(&mut *connection).await?;
                // SQLite hands any value over as bytes (numbers as their
                // text), so even a column a query forgot to cast reads.
                rows.iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|i| {
                                let bytes = row.try_get_unchecked::<Option<Vec<u8>>, _>(i)?;
                                Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
                            })
                            .collect()
                    })
                    .collect()
            }
            Self::Postgres(connection) => {
                let mut query = sqlx::query(sql);
                for bind in binds {
                    query = query.bind(*bind);
                }
                let rows = query.fetch_all(&mut *connection).await?;
                rows.iter()
                    .map(|row| {
                        (0..row.len()).map(|i| row.try_get::<Option<String>, _>(i)).collect()
                    })
                    .collect()
            }
        }
    }

    /// The columns of `table`, in order, as named; empty when there is
    /// no such table (in PostgreSQL: in the connection's current schema).
    pub async fn columns(&mut self, table: &str) -> Result<Vec<String>, sqlx::Error> {
        let sql = if self.is_postgres() {
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = current_schema() AND CAST(table_name AS TEXT) = $1
             ORDER BY ordinal_position"
        } else {
            "SELECT name FROM pragma_table_info($1)"
        };
        let rows = self.texts(sql, &[table]).await?;
        Ok(rows.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect())
    }

    /// The tables there are (in PostgreSQL: in the current schema), for a
    /// message that shows what the server made instead.
    pub async fn tables(&mut self) -> Result<Vec<String>, sqlx::Error> {
        let sql = if self.is_postgres() {
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
             WHERE table_schema = current_schema() ORDER BY table_name"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        };
        let rows = self.texts(sql, &[]).await?;
        Ok(rows.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect())
    }

    /// Every row of `table` with every column as text, and the columns'
    /// names: what a search for a leaked secret looks through.
    pub async fn dump(&mut self, table: &str) -> Result<(Vec<String>, Rows), sqlx::Error> {
        let columns = self.columns(table).await?;
        if columns.is_empty() {
            return Ok((columns, Vec::new()));
        }
        let list: Vec<String> =
            columns.iter().map(|c| format!("CAST({} AS TEXT)", quoted(c))).collect();
        let rows =
            self.texts(&format!("SELECT {} FROM {}", list.join(", "), quoted(table)), &[]).await?;
        Ok((columns, rows))
    }

    /// `SELECT COUNT(*)` of `table`.
    pub async fn count(&mut self, table: &str) -> Result<i64, sqlx::Error> {
        let sql = format!("SELECT CAST(COUNT(*) AS TEXT) FROM {}", quoted(table));
        let rows = self.texts(&sql, &[]).await?;
        Ok(rows
            .first()
            .and_then(|row| row.first())
            .cloned()
            .flatten()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }
}

/// An identifier in double quotes, which both backends read the same way.
/// Only names from the contract or from the database's own catalogue go
/// through here, never anything a server sent.
fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
