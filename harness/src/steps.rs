//! The steps the harness can grade, in order.

use std::path::{Path, PathBuf};

use crate::{check::Check, checks};

pub struct Step {
    /// "01": what `authlings check 01` takes, and the check ids' prefix.
    pub id: &'static str,
    /// The folder under `exercises/` and `solutions/`.
    pub folder: &'static str,
    pub title: &'static str,
    /// From step 02, users register themselves; before, they are compiled in.
    pub has_accounts: bool,
    /// From step 04, users and sessions live in SQL: the harness reads the
    /// database, and can give the server a PostgreSQL one of its own.
    pub has_database: bool,
    pub checks: fn() -> Vec<Check>,
}

pub static STEPS: &[Step] = &[
    Step {
        id: "01",
        folder: "01-hardcoded",
        title: "A login form with compiled-in users",
        has_accounts: false,
        has_database: false,
        checks: checks::s01::checks,
    },
    Step {
        id: "02",
        folder: "02-registration",
        title: "Registration with argon2id, logout, cross-site refusal, throttling",
        has_accounts: true,
        has_database: false,
        checks: checks::s02::checks,
    },
    Step {
        id: "03",
        folder: "03-file-sessions",
        title: "Sessions as JSON files behind a cookie signed by hand",
        has_accounts: true,
        has_database: false,
        checks: checks::s03::checks,
    },
    Step {
        id: "04",
        folder: "04-db-sessions",
        title: "Users and sessions in SQL, remember-me, several servers on one database",
        has_accounts: true,
        has_database: true,
        checks: checks::s04::checks,
    },
    Step {
        id: "05",
        folder: "05-google-oidc",
        title: "Sign in with Google: OpenID Connect code flow with PKCE",
        has_accounts: true,
        has_database: true,
        checks: checks::s05::checks,
    },
    Step {
        id: "06",
        folder: "06-microsoft-identity",
        title: "Sign in with Microsoft, linking a second provider, a managed identity",
        has_accounts: true,
        has_database: true,
        checks: checks::s06::checks,
    },
];

/// The step called `name`: "01", "1" or "01-hardcoded".
pub fn find(name: &str) -> Option<&'static Step> {
    let number = name.parse::<u32>().ok().map(|n| format!("{n:02}"));
    STEPS
        .iter()
        .find(|step| step.id == name || step.folder == name || number.as_deref() == Some(step.id))
}

impl Step {
    pub fn exercise_package(&self) -> String {
        format!("step{}", self.id)
    }

    pub fn solution_package(&self) -> String {
        format!("step{}-solution", self.id)
    }

    pub fn exercise_dir(&self, kit_root: &Path) -> PathBuf {
        kit_root.join("exercises").join(self.folder)
    }

    pub fn solution_dir(&self, kit_root: &Path) -> PathBuf {
        kit_root.join("solutions").join(self.folder)
    }

    pub fn max_score(&self) -> u32 {
        (self.checks)().iter().map(|check| check.points).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_found_by_number_or_folder() {
        for name in ["01", "1", "01-hardcoded"] {
            assert_eq!(find(name).map(|s| s.id), Some("01"), "{name}");
        }
        assert!(find("99").is_none());
    }
}
