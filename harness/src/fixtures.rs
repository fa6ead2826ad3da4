//! The kit's fixtures that the harness reads too.

use std::path::Path;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct User {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize)]
struct UsersFile {
    users: Vec<User>,
}

/// The compiled-in users of step 01, from `fixtures/users.toml`.
pub fn users(kit_root: &Path) -> anyhow::Result<Vec<User>> {
    let path = kit_root.join("fixtures/users.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let file: UsersFile = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not valid: {e}", path.display()))?;
    anyhow::ensure!(!file.users.is_empty(), "{} lists no users", path.display());
    Ok(file.users)
}

/// Accounts a grading run registers itself (steps with registration): new
/// names each run, and passwords with spaces, quotes and non-ASCII letters,
/// so a server that mangles any of them is caught.
pub fn fresh_accounts() -> Vec<User> {
    let token = crate::sandbox::random_token();
    let tag = &token[..6];
    let account =
        |name: &str, password: String| User { username: format!("{name}{tag}"), password };
    vec![
        account("amy", format!("Correct \"horse\" 'battery' stäple {tag}")),
        account("ben", format!("ben's pass phrase, {tag}!")),
        account("cat", format!("cat-{token}")),
        account("dan", format!("dan-{token}")),
    ]
}
