//! The accounts a provider's users became, read from the server's database
//! (the contract's `users` table, which from step 05 holds `provider`,
//! `subject`, `email` and `name`).

use std::fmt;

use crate::check::{Ctx, Failure};

/// One `users` row, every value as text.
pub struct UserRow {
    pub username: Option<String>,
    pub provider: Option<String>,
    pub subject: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

impl fmt::Debug for UserRow {
    /// `{username: "x", provider: "google", ...}`: what a failure shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in [
            ("username", &self.username),
            ("provider", &self.provider),
            ("subject", &self.subject),
            ("email", &self.email),
            ("name", &self.name),
        ] {
            map.entry(&name, value);
        }
        map.finish()
    }
}

/// Every value cast to text: the contract fixes the columns, not their types.
const BY_SUBJECT: &str = "SELECT CAST(username AS TEXT), CAST(provider AS TEXT), \
     CAST(subject AS TEXT), CAST(email AS TEXT), CAST(name AS TEXT) \
     FROM users WHERE CAST(subject AS TEXT) = $1";

/// The `users` rows whose `subject` is `sub`.
pub async fn users_with_subject(cx: &Ctx, sub: &str) -> Result<Vec<UserRow>, Failure> {
    let mut db = cx.db().await?;
    let rows = db.texts(BY_SUBJECT, &[sub]).await.map_err(|error| {
        Failure::new("a users table with the columns username, provider, subject, email and name")
            .sent(format!("{BY_SUBJECT} (with $1 = '{sub}')"))
            .got(error.to_string())
    })?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut values = row.into_iter();
            let mut next = || values.next().flatten();
            UserRow {
                username: next(),
                provider: next(),
                subject: next(),
                email: next(),
                name: next(),
            }
        })
        .collect())
}
