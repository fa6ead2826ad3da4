//! Step 04's SQL: the tables and every query, written once at start for the
//! backend and the flaw. Table names come from here, never from a request;
//! values always travel as `$n` parameters (except in the flaws that paste
//! them in, in `s04.rs`).

/// The databases step 04 speaks to; only their column types differ here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub(super) fn of(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err("DATABASE_URL must start with sqlite: or postgres://".to_owned())
        }
    }
}

/// The text of every statement the server runs.
pub(super) struct Sql {
    /// Run in order at every start; each is idempotent.
    pub(super) create: Vec<String>,
    /// `username, password_hash` of the account named `$1`.
    pub(super) find_user: String,
    /// Adds the account `$1` with hash `$2` at `$3`; its id, or no row when
    /// the name is taken.
    pub(super) insert_user: String,
    /// The `max-plus-one` flaw's own numbering: one more than the highest id.
    pub(super) next_user_id: String,
    /// `insert_user` with the id given as `$1` (the others one on).
    pub(super) insert_numbered_user: String,
    /// `username, expires_at, lifetime_secs` of the session `$1`.
    pub(super) find_session: String,
    /// The session `$1` of the account named `$5`, until `$2`, renewed by
    /// `$3` seconds at each use, made at `$4`.
    pub(super) insert_session: String,
    /// Session `$2` now lasts until `$1`.
    pub(super) renew_session: String,
    pub(super) delete_session: String,
    /// Every session of the account that session `$1` belongs to.
    pub(super) delete_account_sessions: String,
    /// Every session expired at `$1`.
    pub(super) sweep: String,
    /// Every session (the `forget-on-restart` flaw).
    pub(super) delete_all_sessions: String,
}

impl Sql {
    pub(super) fn new(backend: Backend, flaw: &str) -> Self {
        let (users, sessions) =
            if flaw == "wrong-tables" { ("accounts", "logins") } else { ("users", "sessions") };
        let (serial, integer) = match backend {
            // `max-plus-one` numbers accounts itself.
            Backend::Sqlite if flaw == "max-plus-one" => ("INTEGER PRIMARY KEY", "INTEGER"),
            Backend::Postgres if flaw == "max-plus-one" => ("BIGINT PRIMARY KEY", "BIGINT"),
            Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"),
            Backend::Postgres => ("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BIGINT"),
        };
        // `null-user-id` keeps the name in the session row instead of the
        // account's id.
        let by_name = flaw == "null-user-id";
        let (user_id, username_column) =
            if by_name { ("", "\n    username      TEXT,") } else { (" NOT NULL", "") };
        let create = vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {users} (
    id            {serial},
    -- Lower-cased: `Alice` and `alice` are one account.
    username      TEXT NOT NULL UNIQUE,
    -- An argon2id PHC string, never the password.
    password_hash TEXT NOT NULL,
    created_at    {integer} NOT NULL
)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {sessions} (
    -- The cookie's value: 128 random bits as 32 hex digits.
    id            TEXT PRIMARY KEY,
    user_id       {integer}{user_id} REFERENCES {users} (id) ON DELETE CASCADE,{username_column}
    -- Unix seconds; renewed by lifetime_secs at each use.
    expires_at    {integer} NOT NULL,
    -- SESSION_TTL_SECS, or REMEMBER_TTL_SECS for a remember-me sign-in.
    lifetime_secs {integer} NOT NULL,
    created_at    {integer} NOT NULL
)"
            ),
            format!("CREATE INDEX IF NOT EXISTS {sessions}_expires_at ON {sessions} (expires_at)"),
            format!("CREATE INDEX IF NOT EXISTS {sessions}_user_id ON {sessions} (user_id)"),
        ];
        let (find_session, insert_session) = if by_name {
            (
                format!("SELECT username, expires_at, lifetime_secs FROM {sessions} WHERE id = $1"),
                format!(
                    "INSERT INTO {sessions} (id, user_id, expires_at, lifetime_secs, created_at, username) \
                     VALUES ($1, NULL, $2, $3, $4, $5)"
                ),
            )
        } else {
            (
                format!(
                    "SELECT u.username, s.expires_at, s.lifetime_secs \
                     FROM {sessions} s JOIN {users} u ON u.id = s.user_id WHERE s.id = $1"
                ),
                format!(
                    "INSERT INTO {sessions} (id, user_id, expires_at, lifetime_secs, created_at) \
                     SELECT $1, id, $2, $3, $4 FROM {users} WHERE username = $5"
                ),
            )
        };
        Self {
            create,
            find_user: format!("SELECT username, password_hash FROM {users} WHERE username = $1"),
            insert_user: format!(
                "INSERT INTO {users} (username, password_hash, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (username) DO NOTHING RETURNING id"
            ),
            next_user_id: format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {users}"),
            insert_numbered_user: format!(
                "INSERT INTO {users} (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (username) DO NOTHING RETURNING id"
            ),
            find_session,
            insert_session,
            renew_session: format!("UPDATE {sessions} SET expires_at = $1 WHERE id = $2"),
            delete_session: format!("DELETE FROM {sessions} WHERE id = $1"),
            delete_account_sessions: format!(
                "DELETE FROM {sessions} WHERE user_id = (SELECT user_id FROM {sessions} WHERE id = $1)"
            ),
            sweep: format!("DELETE FROM {sessions} WHERE expires_at <= $1"),
            delete_all_sessions: format!("DELETE FROM {sessions}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_come_from_the_url() {
        assert_eq!(Backend::of("sqlite:///tmp/app.db"), Ok(Backend::Sqlite));
        assert_eq!(Backend::of("postgresql://h/db"), Ok(Backend::Postgres));
        assert!(Backend::of("mysql://h/db").is_err());
    }

    #[test]
    fn only_wrong_tables_renames_them() {
        let sql = Sql::new(Backend::Sqlite, mutants::NONE);
        assert!(sql.create[0].starts_with("CREATE TABLE IF NOT EXISTS users ("));
        assert!(sql.find_session.contains("FROM sessions s JOIN users u"));
        let sql = Sql::new(Backend::Postgres, "wrong-tables");
        assert!(sql.create[1].starts_with("CREATE TABLE IF NOT EXISTS logins ("));
        assert!(sql.create[1].contains("REFERENCES accounts (id)"));
        assert!(!sql.find_user.contains("users"));
    }
}
