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
    async fn find(&self, username: &str) -> Result<Option<Account>, StorageError> {
        // TODO(step 04): read the account named `username` from `users`,
        // with the name as a bound parameter (`$1` and `.bind`), never
        // pasted into the SQL. See book/src/04-db-sessions.md, "Parameters,
        // not strings".
        let _ = (&self.pool, username);
        todo!("find the account in the users table")
    }

    async fn insert(&self, account: Account) -> Result<Result<(), Taken>, StorageError> {
        // TODO(step 04): insert the account into `users`, every value a
        // bound parameter. When the UNIQUE constraint on `username` refuses
        // it (`is_unique_violation()`), the name is taken: answer
        // `Ok(Err(Taken))`. See book/src/04-db-sessions.md, "Parameters,
        // not strings".
        let _ = (&self.pool, account);
        todo!("insert the account into the users table")
    }
}
