//! One grading run of a submission against a profile: copy it, find the
//! app, give it its users, start it with the settings under the names it
//! reads, walk the profile's checks, stop it.

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use super::{Entry, Kind, Profile, Routes, User, checks};
use crate::{
    check::Failure,
    provider::Provider,
    report::{CheckResult, Report, Status},
    sandbox::random_token,
    server::{self, Launch, Program, Server},
};

pub struct ProfileOptions {
    /// The command that starts the app, instead of the profile's.
    pub cmd: Option<String>,
    pub ready_within: Duration,
    pub check_within: Duration,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        Self {
            cmd: None,
            ready_within: Duration::from_secs(30),
            check_within: Duration::from_secs(60),
        }
    }
}

/// What the checks work with.
pub struct Cx {
    pub profile: Profile,
    /// The profile's routes, with the submission's own where it names them.
    pub routes: Routes,
    /// The app's folder in the copy the harness grades (never the
    /// submission itself: apps write their files where they run).
    pub app_dir: PathBuf,
    /// The users the submission's users file names.
    pub given: Vec<User>,
    /// Users found in the app's code, when no users file names any: only
    /// candidates, kept by the checks where they sign in.
    pub discovered: Vec<User>,
    /// Users the harness made up and registered (or seeded).
    pub made: Vec<User>,
    /// The protected page is where the sign-in landed (the profile's does
    /// not exist), so it opens only when it names the person.
    pub landing: bool,
    /// The Google sign-in's routes were looked for already.
    pub settled: bool,
    /// A user who signed in already, tried first.
    pub working: Option<User>,
    pub provider: Option<Provider>,
    /// The running app (none before the first start, or after a failed one).
    pub server: Option<Server>,
    pub port: u16,
    pub base_url: String,
    /// When the app was first started, to tell its new files.
    pub started: SystemTime,
    program: Program,
    secret: String,
    ready_within: Duration,
    /// Settings changed for the check running now.
    overrides: BTreeMap<String, String>,
}

impl Cx {
    /// The settings the app gets when it listens on `port`.
    fn env_for(&self, port: u16) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = vec![
            ("HOST".into(), "127.0.0.1".into()),
            ("PYTHONUNBUFFERED".into(), "1".into()),
            ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
        ];
        for (name, value) in self.profile.env.iter().chain(&self.overrides) {
            env.retain(|(k, _)| k != name);
            env.push((name.clone(), self.fill(value, port)));
        }
        env
    }

    /// A setting's value with its placeholders filled in.
    pub fn fill(&self, value: &str, port: u16) -> String {
        let mut value = value
            .replace("{port}", &port.to_string())
            .replace("{host}", "127.0.0.1")
            .replace("{secret}", &self.secret);
        if let Some(provider) = &self.provider {
            let issuer = provider.idp.issuer();
            value = value
                .replace("{issuer}", issuer)
                .replace("{discovery}", &format!("{issuer}/.well-known/openid-configuration"))
                .replace("{client_id}", &provider.client_id)
                .replace("{client_secret}", provider.client_secret());
        }
        value
    }

    /// The value of a setting as the app got it.
    pub fn setting(&self, name: &str) -> Option<String> {
        let value = self.overrides.get(name).or_else(|| self.profile.env.get(name))?;
        Some(self.fill(value, self.port))
    }

    /// Starts the app (again) on a new port, with the settings of now.
    pub async fn start(&mut self) -> Result<(), Failure> {
        if let Some(mut old) = self.server.take() {
            old.stop().await;
        }
        let port = server::free_port();
        let launch = Launch {
            program: self.program.clone(),
            cwd: self.app_dir.clone(),
            env: self.env_for(port),
            ready_within: self.ready_within,
        };
        let server = Server::start(&launch, port).await.map_err(|failure| {
            Failure::new("the app to start and answer GET /")
                .sent(format!("{} in {}", describe(&self.program), self.app_dir.display()))
                .got(format!("{}\n{}", failure.reason, failure.log))
        })?;
        self.base_url = server.base_url.clone();
        self.port = port;
        self.server = Some(server);
        Ok(())
    }

    pub fn browser(&self) -> super::browser::Browser {
        super::browser::Browser::new(&self.base_url)
    }
}

fn describe(program: &Program) -> String {
    match program {
        Program::Shell(line) => format!("`{line}`"),
        Program::Binary(path) => path.display().to_string(),
    }
}

/// Grades the submission in `submission` as `profile` says.
pub async fn grade(
    kit_root: &Path,
    profile: &Profile,
    submission: &Path,
    options: &ProfileOptions,
) -> Report {
    let mut report = Report {
        step: leak(&profile.name),
        title: leak(&profile.title),
        target: submission.display().to_string(),
        results: Vec::new(),
        log: String::new(),
        notes: Vec::new(),
    };
    let work = match tempfile::Builder::new().prefix("authlings-profile-").tempdir() {
        Ok(work) => work,
        Err(error) => {
            fail_all(
                &mut report,
                profile,
                &Failure::new("a temporary folder").got(error.to_string()),
            );
            return report;
        }
    };
    let prepared = prepare(kit_root, profile, submission, work.path(), options, &mut report).await;
    let mut cx = match prepared {
        Ok(cx) => cx,
        Err(failure) => {
            fail_all(&mut report, profile, &failure);
            return report;
        }
    };
    let mut statuses: HashMap<String, Status> = HashMap::new();
    for entry in &profile.checks {
        let meta = checks::find(entry.check_name()).expect("validated when loaded");
        let mut result = blank(entry, meta);
        if let Some(needed) =
            entry.requires.as_ref().filter(|id| statuses.get(*id) != Some(&Status::Pass))
        {
            result.status = Status::Skip;
            result.reason = Some(format!("needs {needed}, which did not pass"));
        } else {
            result = run_entry(&mut cx, entry, meta, options, result, &mut report).await;
        }
        statuses.insert(entry.id.clone(), result.status);
        report.results.push(result);
    }
    if let Some(mut server) = cx.server.take() {
        server.stop().await;
        report.log = server.log();
    }
    report
}

async fn run_entry(
    cx: &mut Cx,
    entry: &Entry,
    meta: &checks::Meta,
    options: &ProfileOptions,
    mut result: CheckResult,
    report: &mut Report,
) -> CheckResult {
    if !entry.env.is_empty() {
        cx.overrides = entry.env.clone();
        if let Err(failure) = cx.start().await {
            cx.overrides.clear();
            let _ = cx.start().await;
            result.status = Status::Fail;
            return result.failed(failure);
        }
    }
    let outcome = tokio::time::timeout(options.check_within, checks::run(cx, entry)).await;
    match outcome {
        Ok(Ok(None)) => result.status = Status::Pass,
        Ok(Ok(Some(why))) => {
            result.status = Status::Skip;
            result.reason = Some(why);
        }
        Ok(Err(failure)) => {
            result.status = Status::Fail;
            result = result.failed(failure);
        }
        Err(_) => {
            result.status = Status::Error;
            result.reason = Some(format!(
                "the check did not finish within {} s",
                options.check_within.as_secs()
            ));
        }
    }
    let exited = cx.server.as_mut().and_then(Server::exited);
    if !entry.env.is_empty() || exited.is_some() {
        if let Some(status) = exited {
            report.notes.push(format!(
                "the app exited ({}) during {}; it was started again",
                server::exit_words(status),
                entry.id
            ));
        }
        cx.overrides.clear();
        if let Err(failure) = cx.start().await {
            report.notes.push(format!(
                "the app did not start again after {}: {}",
                entry.id,
                failure.got.unwrap_or_default()
            ));
        }
    }
    let _ = meta;
    result
}

fn blank(entry: &Entry, meta: &checks::Meta) -> CheckResult {
    CheckResult {
        id: leak(&entry.id),
        title: entry.title.as_deref().map_or(meta.title, leak),
        status: Status::Skip,
        max_points: entry.points,
        hint: meta.hint,
        book: "profiles.md#the-checks",
        failure: None,
        reason: None,
        no_answer: false,
    }
}

fn fail_all(report: &mut Report, profile: &Profile, failure: &Failure) {
    for entry in &profile.checks {
        let meta = checks::find(entry.check_name()).expect("validated when loaded");
        let mut result = blank(entry, meta);
        if entry.requires.is_none() {
            result.status = Status::Fail;
            result = result.failed(failure.clone());
        } else {
            result.reason = Some("the app did not start".into());
        }
        report.results.push(result);
    }
}

/// Report fields are the kit's steps' `&'static str`s; a profile's are
/// read at run time, a few short strings a run.
fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

async fn prepare(
    kit_root: &Path,
    profile: &Profile,
    submission: &Path,
    work: &Path,
    options: &ProfileOptions,
    report: &mut Report,
) -> Result<Cx, Failure> {
    if !submission.is_dir() {
        return Err(Failure::new("a folder with the submission")
            .got(format!("{} is not a folder", submission.display())));
    }
    let (given, routes) = super::given(profile, submission).map_err(|error| {
        Failure::new(format!("a readable {} beside the submission", profile.users.file)).got(error)
    })?;
    let copy = work.join("app");
    copy_tree(submission, &copy).map_err(|error| {
        Failure::new("a copy of the submission to grade in").got(error.to_string())
    })?;
    let (app_dir, entry) = find_entry(&copy, &profile.entry).ok_or_else(|| {
        Failure::new(format!("the app's entry file: one of {}", profile.entry.join(", ")))
            .got(format!("none of them in {} (nor in its folders)", submission.display()))
    })?;
    let launcher = kit_root.join(super::DIR).join("flask_launch.py");
    let line = options.cmd.clone().unwrap_or_else(|| profile.cmd.clone());
    let line = line
        .replace("{entry}", &crate::text::shell_quote(&entry))
        .replace("{launcher}", &crate::text::shell_quote(&launcher.display().to_string()));
    let provider = if profile.kind == Kind::Google {
        Some(Provider::start_for_profiles().await.map_err(|error| {
            Failure::new("the grader's mock OpenID provider to start").got(error.to_string())
        })?)
    } else {
        None
    };
    let mut cx = Cx {
        profile: profile.clone(),
        routes,
        app_dir,
        discovered: Vec::new(),
        given,
        made: Vec::new(),
        working: None,
        landing: false,
        settled: false,
        provider,
        base_url: String::new(),
        server: None,
        port: 0,
        started: SystemTime::now(),
        program: Program::Shell(line),
        secret: format!("{}{}", random_token(), random_token()),
        ready_within: options.ready_within,
        overrides: BTreeMap::new(),
    };
    if cx.given.is_empty() && profile.kind == Kind::Form {
        cx.discovered = super::discover::users(&cx.app_dir);
        let names: Vec<String> = cx.discovered.iter().map(User::login).collect();
        report.notes.push(if names.is_empty() {
            format!(
                "no {} beside the submission, and no users found in its code",
                profile.users.file
            )
        } else {
            format!(
                "no {} beside the submission: users tried from its code: {}",
                profile.users.file,
                names.join(", ")
            )
        });
    }
    if let Some(seed) = &profile.users.seed {
        let user = User::made_up();
        match run_seed(&cx, seed, &user).await {
            Ok(()) => cx.made.push(user),
            Err(error) => report.notes.push(format!("the users could not be seeded: {error}")),
        }
    }
    cx.started = SystemTime::now();
    let started = cx.start().await;
    if let Err(failure) = started {
        report.log = failure.got.clone().unwrap_or_default();
        return Err(failure);
    }
    Ok(cx)
}

/// Runs the profile's seed command for `user` in the app's folder.
async fn run_seed(cx: &Cx, seed: &str, user: &User) -> Result<(), String> {
    let email = user.email.clone().unwrap_or_default();
    let line = seed.replace("{email}", &email).replace("{password}", &user.password);
    let mut command = tokio::process::Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(&line)
        .current_dir(&cx.app_dir)
        .env_clear()
        .envs(["PATH", "HOME", "LANG"].iter().filter_map(|k| Some((k, std::env::var(k).ok()?))))
        .envs(cx.env_for(0))
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .map_err(|_| "it took more than 30 s".to_owned())?
        .map_err(|error| error.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{line}` failed ({}): {}",
            server::exit_words(output.status),
            crate::text::excerpt(&String::from_utf8_lossy(&output.stderr), 600)
        ))
    }
}

/// Folders that are never copied: tools and caches, not the app.
const NOT_COPIED: &[&str] = &[".git", "venv", ".venv", "node_modules", "__pycache__"];

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if !NOT_COPIED.iter().any(|n| name == *n) {
                copy_tree(&entry.path(), &to.join(&name))?;
            }
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// The shallowest folder under `root` holding one of `entries` (the first
/// of them in the profile's order), and that entry's path in it.
fn find_entry(root: &Path, entries: &[String]) -> Option<(PathBuf, String)> {
    let mut level = vec![root.to_path_buf()];
    for _ in 0..4 {
        let mut next = Vec::new();
        level.sort();
        for dir in &level {
            if let Some(entry) = entries.iter().find(|e| dir.join(e).is_file()) {
                return Some((dir.clone(), entry.clone()));
            }
            for child in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if child.file_type().is_ok_and(|t| t.is_dir())
                    && !child.file_name().to_string_lossy().starts_with('.')
                {
                    next.push(child.path());
                }
            }
        }
        level = next;
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_entry_is_the_shallowest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("hw3/templates")).unwrap();
        std::fs::write(dir.path().join("hw3/main.py"), "").unwrap();
        std::fs::create_dir_all(dir.path().join("a/b/c")).unwrap();
        std::fs::write(dir.path().join("a/b/c/app.py"), "").unwrap();
        let entries = vec!["app.py".to_owned(), "main.py".to_owned()];
        let (found, entry) = super::find_entry(dir.path(), &entries).unwrap();
        assert_eq!(found, dir.path().join("hw3"));
        assert_eq!(entry, "main.py");
    }
}
