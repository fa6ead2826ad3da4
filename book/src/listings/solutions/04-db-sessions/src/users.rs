//! The accounts, in the `users` table. Step 02's rules and hashing stay as
//! they were; only where an account is kept changes.

use async_trait::async_trait;
use sqlx::AnyPool;
use step02_solution::accounts::{Account, StorageError, Taken, UserStore};

pub struct SqlUsers {
    pool: AnyPool,
}

impl SqlUsers {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl UserStore for SqlUsers {
    // ANCHOR: find
    async fn find(&self, username: &str) -> Result<Option<Account>, StorageError> {
        // `$1` is a parameter: the name travels beside the SQL, never inside
        // it, so no name can change what the statement does.
        // An account without a password (step 05) cannot sign in with one:
        // to the password sign-in it is no account at all.
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT username, password_hash, created_at FROM users
             WHERE username = $1 AND password_hash IS NOT NULL",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(username, password_hash, created_at)| Account {
            username,
            password_hash,
            created_at,
        }))
    }
    // ANCHOR_END: find

    // ANCHOR: insert
    async fn insert(&self, account: Account) -> Result<Result<(), Taken>, StorageError> {
        let inserted = sqlx::query(
            "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(&account.username)
        .bind(&account.password_hash)
        .bind(account.created_at)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(Ok(())),
            // The UNIQUE constraint decides between two parallel
            // registrations of one name: the database, not a lock in this
            // process, which a second server would not share.
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(Err(Taken)),
            Err(error) => Err(error.into()),
        }
    }
    // ANCHOR_END: insert
}
