//! What the cabinet and `/api/me` show about the signed-in user.

use serde::Serialize;
use step04_solution::readers::Readers;

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Profile {
    pub username: String,
    /// "password" or "google".
    pub provider: String,
    /// The address the provider checked reaches the user, or none: a
    /// password account has none, and an address the provider did not
    /// check is not shown as anyone's. The key stays in `/api/me` (`null`),
    /// as the contract lists it from step 05 on.
    pub email: Option<String>,
    pub name: Option<String>,
    #[serde(skip)]
    pub picture: Option<String>,
}

impl Profile {
    pub async fn find(reads: &Readers, username: &str) -> Result<Option<Self>, sqlx::Error> {
        // `CASE`, not a `bool` read into Rust: SQLite has no boolean type,
        // and this reads the same from both databases.
        let query = sqlx::query_as(
            "SELECT username, provider, CASE WHEN email_verified THEN email END AS email,
                    name, picture
             FROM users WHERE username = $1",
        );
        reads.fetch_optional(query.bind(username)).await
    }

    /// The picture's address, if it is one a page may show: `https`, or
    /// `http` from a provider on this machine (the mock provider). Anything
    /// else (`javascript:`, `data:`) stays out of the page.
    pub fn picture_url(&self) -> Option<&str> {
        let url = self.picture.as_deref()?;
        let local = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
        (url.starts_with("https://") || local.iter().any(|prefix| url.starts_with(prefix)))
            .then_some(url)
    }
}

#[cfg(test)]
mod tests {
    use super::Profile;

    fn with_picture(picture: &str) -> Profile {
        Profile {
            username: "alice-3f9a".into(),
            provider: "google".into(),
            email: None,
            name: None,
            picture: Some(picture.into()),
        }
    }

    #[test]
    fn only_web_pictures_are_shown() {
        for shown in ["https://lh3.googleusercontent.com/a/x=s96-c", "http://127.0.0.1:5001/p.svg"]
        {
            assert_eq!(with_picture(shown).picture_url(), Some(shown));
        }
        for hidden in
            ["javascript:alert(1)", "data:image/svg+xml,<svg/>", "http://evil.example/p.png"]
        {
            assert_eq!(with_picture(hidden).picture_url(), None, "{hidden}");
        }
    }
}
