//! Step 04's database, with this step's columns for provider accounts:
//! step 04's migrations run first, then this step's, as one history.

use sqlx::{AnyPool, migrate::Migrator};
use step04_solution::db::{self, Backend};

pub async fn open(config: &kit::Config) -> Result<AnyPool, db::Error> {
    open_with(config, migrations).await
}

/// The database with `later`'s migrations after step 04's: this step's,
/// or a later step's that include them.
pub async fn open_with(config: &kit::Config, later: db::Later) -> Result<AnyPool, db::Error> {
    let url = db::url(config.database_url.as_deref(), &config.data_dir);
    db::open_with(&url, Some(later)).await
}

pub fn migrations(backend: Backend) -> Migrator {
    match backend {
        Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("migrations/postgres"),
    }
}

#[cfg(test)]
mod tests {
    use step02_solution::Accounts;
    use step04_solution::users::SqlUsers;

    use super::*;

    #[tokio::test]
    async fn a_step_04_database_gains_the_columns_and_keeps_its_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let url = db::url(None, dir.path());
        let step04 = db::open(&url).await.unwrap();
        Accounts::new(SqlUsers::new(step04.clone()))
            .register("alice", "wonderland-rabbit-42")
            .await
            .unwrap();
        step04.close().await;

        for _ in 0..2 {
            let pool = db::open_with(&url, Some(migrations)).await.unwrap();
            let (provider, subject, verified): (String, Option<String>, i64) = sqlx::query_as(
                "SELECT provider, subject, CASE WHEN email_verified THEN 1 ELSE 0 END
                 FROM users WHERE username = 'alice'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!((provider.as_str(), subject, verified), ("password", None, 0));
            pool.close().await;
        }
    }

    #[tokio::test]
    async fn a_provider_account_without_a_subject_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open_with(&db::url(None, dir.path()), Some(migrations)).await.unwrap();
        let insert = |provider: &'static str, subject: Option<&'static str>| {
            sqlx::query(
                "INSERT INTO users (username, created_at, provider, subject) VALUES ($1, 0, $2, $3)",
            )
            .bind(format!("u-{provider}-{}", subject.is_some()))
            .bind(provider)
            .bind(subject)
            .execute(&pool)
        };
        assert!(insert("google", None).await.is_err());
        assert!(insert("password", Some("123")).await.is_err());
        assert!(insert("google", Some("123")).await.is_ok());
        assert!(insert("password", None).await.is_ok());
    }
}
