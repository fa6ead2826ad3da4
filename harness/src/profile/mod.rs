//! Assignment profiles: grading an app written for another course's
//! assignment (a Flask homework, say) as that assignment was written, not
//! as the kit's contract says.
//!
//! A profile is data, a TOML file in `fixtures/profiles/` ([`Profile`]):
//! the routes, the names of the settings the app reads, how its users are
//! given, and which checks apply with how many points. The checks are the
//! harness's ([`checks`]), shared by every profile: they discover instead
//! of expecting exact wording (the sign-in form is found on the page, any
//! redirect is followed, "signed in" means the protected page opens), and
//! the security checks are graded as soon as any sign-in works.
//!
//! `authlings check --profile NAME --path DIR` grades one submission;
//! `authlings grade --profile NAME DIR...` a class. The book's chapter for
//! instructors is `book/src/profiles.md`.

mod at_rest;
mod browser;
pub mod checks;
pub mod class;
mod discover;
mod run;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde::Deserialize;

pub use run::{ProfileOptions, grade};

/// The folder of the built-in profiles, from the kit's root.
pub const DIR: &str = "fixtures/profiles";

/// How people sign in to the app.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An HTML form with a name and a password.
    Form,
    /// A JSON API: credentials posted, a session cookie back.
    Api,
    /// "Sign in with Google" (OpenID Connect), pointed at the mock provider.
    Google,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub title: String,
    pub kind: Kind,
    /// The shell command that starts the app, in the app's folder: `{entry}`
    /// is the entry file found, `{launcher}` the kit's `flask_launch.py`.
    pub cmd: String,
    /// Files, any of which marks the app's folder (the shallowest found).
    pub entry: Vec<String>,
    /// Settings the app reads, by the names it reads them: `{port}`,
    /// `{host}`, `{secret}`, `{issuer}`, `{discovery}`, `{client_id}` and
    /// `{client_secret}` are filled in.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub routes: Routes,
    #[serde(default)]
    pub users: Users,
    #[serde(default)]
    pub api: Option<Api>,
    pub checks: Vec<Entry>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routes {
    /// The page with the sign-in form (form), or where "sign in with
    /// Google" starts (google).
    #[serde(default)]
    pub sign_in: Option<String>,
    /// The page only a signed-in person may open.
    #[serde(default)]
    pub protected: Option<String>,
    #[serde(default)]
    pub logout: Option<String>,
    /// The page with the registration form.
    #[serde(default)]
    pub register: Option<String>,
    /// Where the app's `static/` folder is served.
    #[serde(default)]
    pub static_prefix: Option<String>,
}

impl Routes {
    /// These routes with the ones `over` names instead.
    fn overridden(&self, over: &Routes) -> Routes {
        let pick = |a: &Option<String>, b: &Option<String>| b.clone().or_else(|| a.clone());
        Routes {
            sign_in: pick(&self.sign_in, &over.sign_in),
            protected: pick(&self.protected, &over.protected),
            logout: pick(&self.logout, &over.logout),
            register: pick(&self.register, &over.register),
            static_prefix: pick(&self.static_prefix, &over.static_prefix),
        }
    }
}

/// How the people who sign in are given.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Users {
    /// The file beside the submission that lists its users (the ones its
    /// code hard-codes): `[[users]]` with `username` (or `email`) and
    /// `password`; it may also have `[routes]` for this submission.
    #[serde(default = "users_file")]
    pub file: String,
    /// A shell command, run in the app's folder before it starts, that adds
    /// a user the harness made up: `{email}` and `{password}` are filled in.
    #[serde(default)]
    pub seed: Option<String>,
}

fn users_file() -> String {
    "users.toml".into()
}

impl Default for Users {
    fn default() -> Self {
        Users { file: users_file(), seed: None }
    }
}

/// The routes and field names of a JSON sign-in API.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    pub login: String,
    pub email_field: String,
    pub password_field: String,
    /// Who is signed in: answers 200 with their JSON.
    pub me: String,
    /// Signs out (DELETE).
    pub logout: String,
    /// The setting that names the session cookie.
    pub cookie_env: String,
}

/// One graded check of a profile.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Its id in the report, unique in the profile.
    pub id: String,
    /// The shared check it runs (default: the id).
    #[serde(default)]
    pub check: Option<String>,
    pub points: u32,
    /// A check of this profile that must pass first.
    #[serde(default)]
    pub requires: Option<String>,
    /// A title instead of the shared check's.
    #[serde(default)]
    pub title: Option<String>,
    /// Settings changed for this check only (the app is started again).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Seconds to wait, for a check that waits (session expiry).
    #[serde(default)]
    pub wait_secs: Option<u64>,
}

impl Entry {
    pub fn check_name(&self) -> &str {
        self.check.as_deref().unwrap_or(&self.id)
    }
}

/// A person who signs in.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub password: String,
    /// Made up by the harness (registered or seeded), so its password can
    /// be looked for in the app's files.
    #[serde(skip)]
    pub made_up: bool,
}

impl User {
    /// What goes in a field named `field` of type `kind`.
    pub fn login_for(&self, field: &str, kind: &str) -> String {
        let wants_email = kind == "email" || field.to_ascii_lowercase().contains("mail");
        match (&self.username, &self.email) {
            (_, Some(email)) if wants_email => email.clone(),
            (Some(name), _) => name.clone(),
            (None, Some(email)) => email.clone(),
            (None, None) => String::new(),
        }
    }

    /// The name or the email, whichever it has.
    pub fn login(&self) -> String {
        self.username.clone().or_else(|| self.email.clone()).unwrap_or_default()
    }

    /// A user nobody has: letters and digits, the same login as email.
    pub fn made_up() -> User {
        let token = crate::sandbox::random_token();
        let name = format!("authl{}", &token[..8]);
        User {
            email: Some(format!("{name}@example.com")),
            username: Some(name),
            password: format!("Pw-{}", &token[8..24]),
            made_up: true,
        }
    }
}

/// What a submission's `users.toml` holds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Given {
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub routes: Routes,
}

/// The built-in profiles' names.
pub fn names(kit_root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(kit_root.join(DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".toml").map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// The profile `name` (built in) or at the path `name` (a `.toml` file).
pub fn load(kit_root: &Path, name: &str) -> Result<Profile, String> {
    let path = if name.ends_with(".toml") {
        PathBuf::from(name)
    } else {
        kit_root.join(DIR).join(format!("{name}.toml"))
    };
    let text = std::fs::read_to_string(&path).map_err(|error| {
        format!(
            "there is no profile {name:?} ({}: {error}); the built-in ones are {}",
            path.display(),
            names(kit_root).join(", ")
        )
    })?;
    let profile: Profile =
        toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    validate(&profile).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok(profile)
}

fn validate(profile: &Profile) -> Result<(), String> {
    let mut seen = Vec::new();
    for entry in &profile.checks {
        if checks::find(entry.check_name()).is_none() {
            return Err(format!(
                "check {:?} runs {:?}, which is not a check; the checks are {}",
                entry.id,
                entry.check_name(),
                checks::CHECKS.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some(needed) = &entry.requires
            && !seen.contains(&needed.as_str())
        {
            return Err(format!("check {:?} requires {needed:?}, not an earlier check", entry.id));
        }
        if seen.contains(&entry.id.as_str()) {
            return Err(format!("check {:?} is there twice", entry.id));
        }
        seen.push(&entry.id);
    }
    if profile.kind == Kind::Api && profile.api.is_none() {
        return Err("an api profile needs an [api] table".into());
    }
    Ok(())
}

/// A submission's users and route overrides, from the profile's users file
/// beside it (none: no users, the profile's routes).
pub fn given(profile: &Profile, submission: &Path) -> Result<(Vec<User>, Routes), String> {
    let path = submission.join(&profile.users.file);
    if !path.is_file() {
        return Ok((Vec::new(), profile.routes.clone()));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let given: Given = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((given.users, profile.routes.overridden(&given.routes)))
}

#[cfg(test)]
mod tests {
    use crate::kit_root::kit_root;

    #[test]
    fn every_built_in_profile_loads() {
        let root = kit_root();
        let names = super::names(&root);
        for expected in ["hha504-week7", "holberton-0x02", "itmo-wad-hw3"] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
        }
        for name in names {
            let profile = super::load(&root, &name).unwrap();
            assert_eq!(profile.name, name);
        }
    }
}
