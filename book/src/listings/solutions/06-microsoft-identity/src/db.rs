//! Step 05's database, with this step's table of linked accounts: step
//! 04's and step 05's migrations first, then this step's, as one history.

use sqlx::{AnyPool, migrate::Migrator};
use step04_solution::db::Backend;

// ANCHOR: migrations
pub fn migrations(backend: Backend) -> Migrator {
    let own = match backend {
        Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("migrations/postgres"),
    };
    let mut all = step05_solution::db::migrations(backend);
    all.migrations = all.migrations.iter().chain(own.migrations.iter()).cloned().collect();
    all
}
// ANCHOR_END: migrations

pub async fn open(config: &kit::Config) -> Result<AnyPool, step04_solution::db::Error> {
    step05_solution::db::open_with(config, migrations).await
}
