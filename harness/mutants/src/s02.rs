//! Step 02 (`02-registration`), written from `CONTRACT.md` alone: people
//! register into `$DATA_DIR/users.json` (argon2id hashes), sign out, get a
//! new session id at every sign-in, POSTs from other sites are refused, and
//! failed sign-ins are throttled per username. Every deliberate flaw is one
//! `if app.has("...")` away from the correct code.

use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    future::Future,
    io::{self, Write},
    path::{Path, PathBuf},
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard, OnceLock},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use argon2::{
    Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version,
    password_hash::phc::PasswordHash,
};
use axum::{
    Form, Json, Router,
    extract::{Query, Request, State, rejection::FormRejection},
    http::{
        HeaderMap, HeaderValue, Method, StatusCode,
        header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, ORIGIN, RETRY_AFTER, SET_COOKIE},
    },
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    Config,
    s01::{
        COOKIE_NAME, FAILED, Session, content_type, escape, local_next, new_id, not_found, page,
        resolve_static, same_bytes, session_cookie,
    },
};

const COMMON_PASSWORDS: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/common-passwords.txt"));
/// Failed sign-ins a username may have within [`WINDOW`].
const LIMIT: usize = 5;
const WINDOW: Duration = Duration::from_secs(60);

/// One account in `users.json`.
#[derive(Clone, Deserialize, Serialize)]
struct Record {
    username: String,
    password_hash: String,
    created_at: u64,
    /// Only the `password-in-file` flaw writes this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

type Users = BTreeMap<String, Record>;

enum RegisterError {
    Taken,
    Storage(io::Error),
}

struct App {
    config: Config,
    flaw: &'static str,
    /// `scheme://host[:port]` of `PUBLIC_URL`, lower case.
    origin: String,
    /// `fixtures/common-passwords.txt`, lower case.
    common: HashSet<String>,
    users_file: PathBuf,
    /// Held across every read-modify-write of `users.json`.
    file_lock: tokio::sync::Mutex<()>,
    sessions: Box<dyn SessionStore>,
    /// Recent failed sign-ins, by lower-cased username.
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// The `throttle-everyone` flaw's one lock-out for the whole server.
    everyone_locked_until: Mutex<Option<Instant>>,
}

type Shared = Arc<App>;

/// A future that a [`SessionStore`] method returns.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where sessions live: in memory here, in files in step 03. A store knows
/// the session cookie's value; the app adds the cookie's attributes.
pub(crate) trait SessionStore: Send + Sync + 'static {
    /// Who the request's session cookie belongs to, if anyone.
    fn current_user<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Option<String>>;
    /// A new session for `username`; the one the browser sent (if any) is
    /// ended. Returns the new cookie value.
    fn sign_in<'a>(
        &'a self,
        username: &'a str,
        headers: &'a HeaderMap,
    ) -> BoxFuture<'a, io::Result<String>>;
    /// Ends the request's session.
    fn sign_out<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, ()>;
}

/// Step 02's sessions: a map in memory, gone at every restart.
struct MemorySessions {
    flaw: &'static str,
    ttl: Duration,
    sessions: Mutex<HashMap<String, Session>>,
}

impl MemorySessions {
    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("02", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }
}

impl SessionStore for MemorySessions {
    fn current_user<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let id = session_cookie(headers)?;
            let mut sessions = lock(&self.sessions);
            let now = Instant::now();
            let session = sessions.get_mut(id)?;
            if session.expires <= now {
                sessions.remove(id);
                return None;
            }
            session.expires = now + self.ttl;
            Some(session.username.clone())
        })
    }

    fn sign_in<'a>(
        &'a self,
        username: &'a str,
        headers: &'a HeaderMap,
    ) -> BoxFuture<'a, io::Result<String>> {
        Box::pin(async move {
            let id = new_id();
            let now = Instant::now();
            let mut sessions = lock(&self.sessions);
            sessions.retain(|_, session| session.expires > now);
            if let Some(old) = session_cookie(headers)
                && !self.has("old-id-valid")
            {
                sessions.remove(old);
            }
            let session = Session { username: username.to_owned(), expires: now + self.ttl };
            sessions.insert(id.clone(), session);
            Ok(id)
        })
    }

    fn sign_out<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(id) = session_cookie(headers) {
                lock(&self.sessions).remove(id);
            }
        })
    }
}

/// Step 02's server, sessions in memory.
pub fn app(config: Config, flaw: &'static str) -> Router {
    let sessions = MemorySessions { flaw, ttl: config.session_ttl, sessions: Mutex::default() };
    router(config, flaw, Box::new(sessions))
}

/// Step 02's routes on the sessions of `sessions`.
pub(crate) fn router(
    config: Config,
    flaw: &'static str,
    sessions: Box<dyn SessionStore>,
) -> Router {
    let app = Arc::new(App {
        origin: origin_of(&config.public_url),
        common: COMMON_PASSWORDS
            .lines()
            .map(|line| line.trim().to_lowercase())
            .filter(|line| !line.is_empty())
            .collect(),
        users_file: config.data_dir.join("users.json"),
        config,
        flaw,
        file_lock: tokio::sync::Mutex::default(),
        sessions,
        failures: Mutex::default(),
        everyone_locked_until: Mutex::default(),
    });
    Router::new()
        .route("/", get(home))
        .route("/login", axum::routing::post(login))
        .route("/cabinet", get(cabinet))
        .route("/api/me", get(me))
        .route("/register", get(register_page).post(register))
        .route("/register/", get(register_page))
        .route("/logout", get(logout_page).post(logout))
        .fallback(static_file)
        // Outermost: a cross-site POST is refused before anything else runs.
        .layer(middleware::from_fn_with_state(app.clone(), refuse_cross_site))
        .with_state(app)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl App {
    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("02", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    // ------------------------------------------------------------ sessions

    async fn current_user(&self, headers: &HeaderMap) -> Option<String> {
        self.sessions.current_user(headers).await
    }

    /// A new session for `username`, whatever id the browser sent, which
    /// is ended. Returns the `Set-Cookie` value.
    async fn sign_in(&self, username: &str, headers: &HeaderMap) -> io::Result<HeaderValue> {
        self.succeeded(username);
        let value = self.sessions.sign_in(username, headers).await?;
        Ok(self.cookie(&format!("{COOKIE_NAME}={value}; HttpOnly; SameSite=Lax; Path=/")))
    }

    async fn sign_out(&self, headers: &HeaderMap) -> HeaderValue {
        self.sessions.sign_out(headers).await;
        self.cookie(&format!("{COOKIE_NAME}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"))
    }

    fn cookie(&self, cookie: &str) -> HeaderValue {
        let secure = if self.config.secure_cookies() { "; Secure" } else { "" };
        HeaderValue::from_str(&format!("{cookie}{secure}")).expect("ids are header-safe")
    }

    // ------------------------------------------------------------ throttling

    /// How long `username` must wait before it may try again, if at all.
    fn wait(&self, username: &str) -> Option<Duration> {
        if self.has("no-throttle") {
            return None;
        }
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        failures.retain(|_, times| {
            times.retain(|at| now.duration_since(*at) < WINDOW);
            !times.is_empty()
        });
        let wait = |times: &VecDeque<Instant>| {
            let fifth_last = times.len().checked_sub(LIMIT).map(|i| times[i])?;
            Some(WINDOW.saturating_sub(now.duration_since(fifth_last)))
        };
        let own = failures.get(&username.to_lowercase()).and_then(wait);
        let everyone = lock(&self.everyone_locked_until)
            .and_then(|until| until.checked_duration_since(now))
            .filter(|wait| !wait.is_zero());
        own.max(everyone)
    }

    fn failed(&self, username: &str) {
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        let times = failures.entry(username.to_lowercase()).or_default();
        times.push_back(now);
        if times.len() >= LIMIT && self.has("throttle-everyone") {
            *lock(&self.everyone_locked_until) = Some(now + WINDOW);
        }
    }

    /// Someone signed in (or registered) as `username`.
    fn succeeded(&self, username: &str) {
        lock(&self.failures).remove(&username.to_lowercase());
        *lock(&self.everyone_locked_until) = None;
    }

    // ------------------------------------------------------------ accounts

    fn check_rules(&self, username: &str, password: &str) -> Result<(), &'static str> {
        let name_ok =
            username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                && (3..=32).contains(&username.len());
        if !name_ok && !self.has("no-username-rules") {
            return Err("A username has 3 to 32 letters, digits, '_', '.' or '-'.");
        }
        let shortest = if self.has("short-password") { 7 } else { 8 };
        if !(shortest..=128).contains(&password.chars().count()) {
            return Err("A password has 8 to 128 characters.");
        }
        if self.has("quotes-refused") && password.contains(['"', '\'', ' ']) {
            return Err("A password may not hold quotes or spaces.");
        }
        if password.to_lowercase() == username.to_lowercase() && !self.has("password-is-username") {
            return Err("The password must not be the username.");
        }
        if self.common.contains(&password.to_lowercase()) && !self.has("common-password") {
            return Err("That password is one of the most common ones; choose another.");
        }
        Ok(())
    }

    async fn read_users(&self) -> io::Result<Users> {
        parse_users(tokio::fs::read(&self.users_file).await)
    }

    /// The record of `username` (compared without case), read under the lock.
    async fn find(&self, username: &str) -> io::Result<Option<Record>> {
        let _guard = self.file_lock.lock().await;
        let mut users = self.read_users().await?;
        Ok(users.remove(&username.to_lowercase()))
    }

    /// The account's username when `password` is its password.
    async fn verify(&self, username: &str, password: &str) -> Option<String> {
        let record = match self.find(username).await {
            Ok(record) => record,
            Err(error) => {
                eprintln!("mutant: cannot read users.json: {error}");
                None
            }
        };
        // An unknown name costs the same hashing as a wrong password.
        let stored = record.as_ref().map(|r| r.password_hash.clone());
        let (flaw, password) = (self.flaw, password.to_owned());
        let matches = tokio::task::spawn_blocking(move || {
            let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
            verify_hash(flaw, &password, &stored)
        })
        .await
        .unwrap_or(false);
        record.filter(|_| matches).map(|record| record.username)
    }

    /// Whether `username` has an account.
    fn is_taken(&self, users: &Users, username: &str) -> bool {
        if self.has("taken-case") {
            users.values().any(|record| record.username == username)
        } else {
            users.contains_key(&username.to_lowercase())
        }
    }

    /// Creates the account; returns its username.
    async fn register(&self, username: &str, password: &str) -> Result<String, RegisterError> {
        // A quick look first, so that a taken name costs no hashing. No
        // lock: the test that counts is made again under it.
        if self.read_users().await.is_ok_and(|users| self.is_taken(&users, username)) {
            return Err(RegisterError::Taken);
        }
        // Hashing is slow: it runs before the lock is taken (but see
        // `non-atomic-write`, which only waits for it under the lock).
        let (flaw, secret) = (self.flaw, password.to_owned());
        let hashing = tokio::task::spawn_blocking(move || make_hash(flaw, &secret));
        let early =
            if self.has("non-atomic-write") { Err(hashing) } else { Ok(finished(hashing).await?) };
        let _guard =
            if self.has("lost-registrations") { None } else { Some(self.file_lock.lock().await) };
        let users = if self.has("non-atomic-write") {
            // Read (and below, emptied) the moment the lock is held, with
            // no hop to another thread, so that the file is broken for as
            // long as registrations are waiting for the lock.
            parse_users(std::fs::read(&self.users_file))
        } else {
            self.read_users().await
        };
        let mut users = users.map_err(RegisterError::Storage)?;
        if self.has("lost-registrations") {
            // Whatever another registration writes meanwhile is overwritten.
            let pause = 5 + u64::from(rand::random::<u8>() % 16);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        if self.is_taken(&users, username) {
            return Err(RegisterError::Taken);
        }
        let password_hash = match early {
            Ok(hash) => hash,
            Err(hashing) => {
                // `non-atomic-write` empties users.json before it even has
                // the hash; the file stays broken until its last byte.
                std::fs::write(&self.users_file, b"").map_err(RegisterError::Storage)?;
                finished(hashing).await?
            }
        };
        let record = Record {
            username: username.to_lowercase(),
            password_hash,
            created_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            password: self.has("password-in-file").then(|| password.to_owned()),
        };
        // With `taken-case`, `ALICE` gets here and leaves alice's record as
        // it is, but is signed in as alice below.
        users.entry(username.to_lowercase()).or_insert(record.clone());
        let written = if self.has("non-atomic-write") {
            write_torn(&self.users_file, &users).await
        } else {
            write_atomically(&self.users_file, &users).await
        };
        written.map_err(RegisterError::Storage)?;
        Ok(record.username)
    }
}

/// The hash a `spawn_blocking` task made.
async fn finished(
    hashing: tokio::task::JoinHandle<io::Result<String>>,
) -> Result<String, RegisterError> {
    hashing.await.map_err(io::Error::other).and_then(|hash| hash).map_err(RegisterError::Storage)
}

// ---------------------------------------------------------------- passwords

fn argon2id(memory: u32, passes: u32) -> Argon2<'static> {
    let params = Params::new(memory, passes, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The bytes that get hashed: all of them, unless the flaw truncates.
fn hashed_bytes<'a>(flaw: &str, password: &'a str) -> &'a [u8] {
    let bytes = password.as_bytes();
    if flaw == "truncate-72" { &bytes[..bytes.len().min(72)] } else { bytes }
}

fn sha256_hex(password: &str) -> String {
    Sha256::digest(password.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// What `users.json` keeps as `password_hash`.
fn make_hash(flaw: &str, password: &str) -> io::Result<String> {
    let bytes = hashed_bytes(flaw, password);
    let hash = match flaw {
        "plaintext" => return Ok(password.to_owned()),
        "sha256" => return Ok(sha256_hex(password)),
        "weak-argon2" => argon2id(4096, 1).hash_password(bytes),
        "same-salt" => argon2id(19_456, 2).hash_password_with_salt(bytes, b"authlings-salt!!"),
        _ => argon2id(19_456, 2).hash_password(bytes),
    };
    hash.map(|hash| hash.to_string()).map_err(io::Error::other)
}

fn verify_hash(flaw: &str, password: &str, stored: &str) -> bool {
    match flaw {
        "plaintext" => same_bytes(stored.as_bytes(), password.as_bytes()),
        "sha256" => same_bytes(stored.as_bytes(), sha256_hex(password).as_bytes()),
        // The parameters and salt come from the PHC string.
        _ => PasswordHash::new(stored).is_ok_and(|hash| {
            argon2id(19_456, 2).verify_password(hashed_bytes(flaw, password), &hash).is_ok()
        }),
    }
}

/// A hash no password matches (of random bytes that were thrown away).
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::fill(&mut secret);
        argon2id(19_456, 2).hash_password(&secret).map(|hash| hash.to_string()).unwrap_or_default()
    })
}

// ---------------------------------------------------------------- users.json

/// The accounts in `users.json` as read; none when it does not exist.
fn parse_users(read: io::Result<Vec<u8>>) -> io::Result<Users> {
    match read {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(io::Error::other),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Users::new()),
        Err(error) => Err(error),
    }
}

/// Temporary file in the same folder, fsync, rename over `path`, fsync the
/// folder: a crash leaves the old file or the new one, never half of one.
async fn write_atomically(path: &Path, users: &Users) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(users)?;
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = path.parent().unwrap_or(Path::new("."));
        let temporary = dir.join(format!(".users.json.{}.tmp", new_id()));
        let written = (|| {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temporary)?;
            file.write_all(&json)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    })
    .await
    .map_err(io::Error::other)?
}

/// The `non-atomic-write` flaw: rewrites `users.json` in place, in two
/// halves 100 ms apart, so a kill in between leaves half a JSON object.
async fn write_torn(path: &Path, users: &Users) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(users)?;
    let (first, second) = json.split_at(json.len() / 2);
    tokio::fs::write(path, first).await?;
    // Much longer, and 20 registrations in a row outlast the harness's 5 s.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
    file.write_all(second)
}

// ---------------------------------------------------------------- cross-site

/// `scheme://host[:port]` of a URL, lower case, without a default port.
fn origin_of(url: &str) -> String {
    let url = url.to_ascii_lowercase();
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
    let origin = &url[..end];
    let default_port = if origin.starts_with("https://") { ":443" } else { ":80" };
    origin.strip_suffix(default_port).unwrap_or(origin).to_owned()
}

async fn refuse_cross_site(State(app): State<Shared>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !app.has("cross-origin-accepted") {
        let headers = request.headers();
        // `Origin: null` and anything unreadable is no origin of ours.
        let foreign_origin = headers.get(ORIGIN).is_some_and(|value| {
            value.to_str().map_or(true, |origin| origin_of(origin) != app.origin)
        });
        let cross_site = headers
            .get("sec-fetch-site")
            .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"cross-site"));
        if foreign_origin || (cross_site && !app.has("fetch-site-ignored")) {
            eprintln!("mutant: refused a cross-site {} {}", request.method(), request.uri().path());
            return (
                StatusCode::FORBIDDEN,
                page(
                    "Forbidden",
                    "<h1>Forbidden</h1>\n<p>Requests from other sites are refused.</p>",
                ),
            )
                .into_response();
        }
    }
    next.run(request).await
}

// ---------------------------------------------------------------- routes

#[derive(Default, Deserialize)]
struct Fields {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

fn see_other(location: &str, cookie: HeaderValue) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(LOCATION, location), (SET_COOKIE, cookie)]).into_response()
}

fn sign_out_form(app: &App) -> &'static str {
    if app.has("no-sign-out-button") {
        ""
    } else {
        "<form method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form>"
    }
}

fn login_form(next: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    format!(
        "<h1>Sign in</h1>\n{error}<form method=\"post\" action=\"/login\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\n\
         <label>Username <input type=\"text\" name=\"username\" autocomplete=\"username\" required></label>\n\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>\n\
         <button type=\"submit\">Sign in</button>\n</form>\n\
         <p>No account yet? <a href=\"/register\">Register</a>.</p>",
        escape(next)
    )
}

#[derive(Deserialize)]
struct NextParam {
    #[serde(default)]
    next: String,
}

async fn home(
    State(app): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<NextParam>,
) -> Response {
    match app.current_user(&headers).await {
        Some(username) => page(
            "Home",
            &format!(
                "<h1>Hello, {}</h1>\n<p>Go to <a href=\"/cabinet\">your cabinet</a>.</p>\n{}",
                escape(&username),
                sign_out_form(&app)
            ),
        ),
        None => page("Sign in", &login_form(local_next(&params.next).unwrap_or_default(), None)),
    }
}

async fn login(
    State(app): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let Form(form) = form.unwrap_or_default();
    let wait = app.wait(&form.username);
    let too_many = |wait: Duration| {
        eprintln!("mutant: sign-in for {:?} throttled", form.username);
        let seconds = (wait.as_secs() + 1).clamp(1, WINDOW.as_secs());
        let body = format!(
            "<h1>Too many attempts</h1>\n<p>Too many failed sign-ins for this name. Try again in {seconds} s.</p>"
        );
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, seconds.to_string())],
            page("Too many attempts", &body),
        )
            .into_response()
    };
    // The password is not even looked at during a lock-out...
    if let Some(wait) = wait
        && !app.has("throttle-reset-by-success")
    {
        return too_many(wait);
    }
    let Some(username) = app.verify(&form.username, &form.password).await else {
        // ...except by the flaw, which lets a right one through.
        if let Some(wait) = wait {
            return too_many(wait);
        }
        app.failed(&form.username);
        eprintln!("mutant: failed sign-in for {:?}", form.username);
        let next = local_next(&form.next).unwrap_or_default();
        return (StatusCode::UNAUTHORIZED, page("Sign in", &login_form(next, Some(FAILED))))
            .into_response();
    };

    match app.sign_in(&username, &headers).await {
        Ok(cookie) => {
            eprintln!("mutant: {username} signed in");
            see_other(local_next(&form.next).unwrap_or("/cabinet"), cookie)
        }
        Err(error) => storage_error("start a session", &error),
    }
}

fn register_form(error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    page(
        "Register",
        &format!(
            "<h1>Register</h1>\n{error}<form method=\"post\" action=\"/register\">\n\
             <label>Username <input type=\"text\" name=\"username\" autocomplete=\"username\" required></label>\n\
             <label>Password <input type=\"password\" name=\"password\" autocomplete=\"new-password\" required></label>\n\
             <button type=\"submit\">Register</button>\n</form>\n\
             <p>Already registered? <a href=\"/\">Sign in</a>.</p>"
        ),
    )
}

async fn register_page(State(app): State<Shared>, request: Request) -> Response {
    if request.uri().path() == "/register/" && app.has("register-slash-missing") {
        return not_found();
    }
    register_form(None)
}

async fn register(
    State(app): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let Form(form) = form.unwrap_or_default();
    if let Err(reason) = app.check_rules(&form.username, &form.password) {
        return (StatusCode::BAD_REQUEST, register_form(Some(reason))).into_response();
    }
    match app.register(&form.username, &form.password).await {
        Ok(username) => {
            eprintln!("mutant: {username} registered");
            match app.sign_in(&username, &headers).await {
                Ok(cookie) => see_other("/cabinet", cookie),
                Err(error) => storage_error("start a session", &error),
            }
        }
        Err(RegisterError::Taken) => {
            (StatusCode::CONFLICT, register_form(Some("This username is taken."))).into_response()
        }
        Err(RegisterError::Storage(error)) => storage_error("store an account", &error),
    }
}

fn storage_error(what: &str, error: &io::Error) -> Response {
    eprintln!("mutant: cannot {what}: {error}");
    (StatusCode::INTERNAL_SERVER_ERROR, page("Error", "<h1>Something went wrong</h1>"))
        .into_response()
}

async fn logout_page(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let who = app
        .current_user(&headers)
        .await
        .map(|name| format!("<p>Signed in as {}.</p>\n", escape(&name)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign out</h1>\n{who}<form method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form>"
    );
    if app.has("logout-get-signs-out") {
        let cookie = app.sign_out(&headers).await;
        return ([(SET_COOKIE, cookie)], page("Sign out", &body)).into_response();
    }
    page("Sign out", &body)
}

async fn logout(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let cookie = if app.has("logout-cookie-only") {
        app.cookie(&format!("{COOKIE_NAME}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"))
    } else {
        app.sign_out(&headers).await
    };
    see_other("/", cookie)
}

async fn cabinet(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let mut response = match app.current_user(&headers).await {
        None => (StatusCode::SEE_OTHER, [(LOCATION, "/?next=%2Fcabinet")]).into_response(),
        Some(username) => page(
            "Cabinet",
            &format!(
                "<h1>Cabinet</h1>\n<p>Welcome, <strong>{}</strong>.</p>\n{}",
                escape(&username),
                sign_out_form(&app)
            ),
        ),
    };
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn me(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let mut response = match app.current_user(&headers).await {
        Some(username) => Json(json!({ "username": username })).into_response(),
        None => {
            (StatusCode::UNAUTHORIZED, Json(json!({ "error": "not signed in" }))).into_response()
        }
    };
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `/static/<path>` from the raw URI; anything else is 404.
async fn static_file(State(app): State<Shared>, request: Request) -> Response {
    let Some(raw) = request.uri().path().strip_prefix("/static/") else {
        return not_found();
    };
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8();
    let file = decoded.ok().and_then(|decoded| resolve_static(&app.config.static_dir, &decoded));
    let Some(file) = file else {
        return not_found();
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => ([(CONTENT_TYPE, content_type(&file))], bytes).into_response(),
        Err(_) => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_drop_paths_case_and_default_ports() {
        assert_eq!(origin_of("http://127.0.0.1:5000/app/"), "http://127.0.0.1:5000");
        assert_eq!(origin_of("HTTPS://Example.org:443"), "https://example.org");
        assert_eq!(origin_of("http://example.org:80?x"), "http://example.org");
        assert_eq!(origin_of("null"), "null");
    }

    #[test]
    fn hashes_verify_only_their_password() {
        for flaw in ["none", "plaintext", "sha256", "same-salt", "truncate-72"] {
            let hash = make_hash(flaw, "correct horse \"battery\"").unwrap();
            assert!(verify_hash(flaw, "correct horse \"battery\"", &hash), "{flaw}");
            assert!(!verify_hash(flaw, "correct horse battery", &hash), "{flaw}");
        }
        let hash = make_hash("none", "x").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert_ne!(hash, make_hash("none", "x").unwrap());
        assert_eq!(make_hash("same-salt", "x").unwrap(), make_hash("same-salt", "x").unwrap());
        assert!(!verify_hash("none", "x", dummy_hash()));
    }

    #[tokio::test]
    async fn users_json_is_replaced_whole() {
        let dir = std::env::temp_dir().join(format!("mutant-s02-{}", new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users.json");
        let mut users = Users::new();
        for name in ["amy", "ben"] {
            let record = Record {
                username: name.into(),
                password_hash: "h".into(),
                created_at: 1,
                password: None,
            };
            users.insert(name.into(), record);
            write_atomically(&path, &users).await.unwrap();
        }
        let back: Users = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back.len(), 2);
        assert!(!std::fs::read_to_string(&path).unwrap().contains("password\""));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
