//! Settings from the environment, with the defaults a plain `cargo run` gets.

use std::{
    env, fmt,
    path::{Component, Path, PathBuf},
    time::Duration,
};

/// Where the kit lives: `fixtures/` is found relative to it.
pub const KIT_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

// Not `Debug`: it holds secrets, and a `{config:?}` in a log would print them.
#[derive(Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub static_dir: PathBuf,
    /// The address users reach us at; decides the cookie's `Secure` flag.
    pub public_url: String,
    pub session_ttl: Duration,
    /// `SESSION_ABSOLUTE_TTL_SECS` (step 03): the longest a session lives
    /// after sign-in, however much it is used (ASVS V3.3.2).
    pub session_absolute_ttl: Duration,
    /// How long a remember-me session lives without use (step 04 on).
    pub remember_ttl: Duration,
    /// `DATABASE_URL` (step 04 on); `None` means the step's default.
    pub database_url: Option<String>,
    /// The OpenID provider (step 05 on): discovery is at
    /// `$OIDC_ISSUER/.well-known/openid-configuration`.
    pub oidc_issuer: String,
    pub oidc_client_id: Option<String>,
    pub oidc_client_secret: Option<String>,
    /// `SESSION_SECRET` (step 03 on): the key that signs session cookies.
    pub session_secret: Option<String>,
}

/// A setting that is present but unusable: the server must not start.
#[derive(Debug)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// The data folder a step gets when `DATA_DIR` is not set, from the path
/// of its `main.rs` (`exercises/04-db-sessions/src/main.rs`):
/// `data/04-db-sessions` in the kit's folder, and
/// `data/04-db-sessions-solution` for the reference solution, wherever the
/// server is started from. Each step, and the solution apart from the
/// exercise, has its own: their migrations differ, and sqlx refuses a
/// database whose applied migrations are not the binary's.
pub fn step_data_dir(main_file: impl AsRef<Path>) -> PathBuf {
    kit_dir().join(step_data_folder(main_file.as_ref()))
}

/// The kit's folder, without the `kit/..` of [`KIT_ROOT`].
fn kit_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(KIT_ROOT))
}

fn step_data_folder(main_file: &Path) -> PathBuf {
    let parts: Vec<&str> = main_file
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => name.to_str(),
            _ => None,
        })
        .collect();
    let Some(src) = parts.iter().rposition(|&part| part == "src") else {
        return PathBuf::from("data");
    };
    match src.checked_sub(1).map(|at| (at, parts[at])) {
        Some((at, step)) if at > 0 && parts[at - 1] == "solutions" => {
            PathBuf::from("data").join(format!("{step}-solution"))
        }
        Some((_, step)) => PathBuf::from("data").join(step),
        None => PathBuf::from("data"),
    }
}

impl Config {
    /// The settings in the environment; `DATA_DIR` defaults to
    /// `default_data_dir` (a step's own, [`step_data_dir`]).
    pub fn from_env(default_data_dir: PathBuf) -> Result<Self, ConfigError> {
        let host = var("HOST").unwrap_or_else(|| "127.0.0.1".into());
        let port = parse("PORT", 5000)?;
        let public_url = var("PUBLIC_URL").unwrap_or_else(|| format!("http://localhost:{port}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError {
                variable: "PUBLIC_URL",
                problem: format!("{public_url:?} must start with http:// or https://"),
            });
        }
        Ok(Self {
            host,
            port,
            data_dir: var("DATA_DIR").map_or(default_data_dir, PathBuf::from),
            static_dir: var("STATIC_DIR")
                .map_or_else(|| PathBuf::from(KIT_ROOT).join("fixtures/static"), PathBuf::from),
            public_url,
            session_ttl: Duration::from_secs(parse("SESSION_TTL_SECS", 1800)?),
            session_absolute_ttl: Duration::from_secs(parse("SESSION_ABSOLUTE_TTL_SECS", 43_200)?),
            remember_ttl: Duration::from_secs(parse("REMEMBER_TTL_SECS", 2_592_000)?),
            database_url: var("DATABASE_URL"),
            oidc_issuer: var("OIDC_ISSUER").unwrap_or_else(|| "https://accounts.google.com".into()),
            oidc_client_id: var("OIDC_CLIENT_ID"),
            oidc_client_secret: var("OIDC_CLIENT_SECRET"),
            session_secret: var("SESSION_SECRET"),
        })
    }

    /// Cookies get `Secure` exactly when users reach us over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.is_empty())
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| ConfigError {
            variable: name,
            problem: format!("{raw:?} is not a valid number"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_has_its_own_data_folder() {
        let cases = [
            ("exercises/04-db-sessions/src/main.rs", "data/04-db-sessions"),
            ("solutions/04-db-sessions/src/main.rs", "data/04-db-sessions-solution"),
            ("/home/u/kit/exercises/05-google-oidc/src/main.rs", "data/05-google-oidc"),
            ("/srv/alice/04-db-sessions/src/main.rs", "data/04-db-sessions"),
            ("main.rs", "data"),
        ];
        for (main, expected) in cases {
            assert_eq!(step_data_dir(main), kit_dir().join(expected), "{main}");
        }
    }
}
