//! Step 02 (`02-registration`), written from `book/src/contract.md` alone: people
//! register into `$DATA_DIR/users.json` (argon2id hashes; see
//! `users_file.rs`), sign out, get a new session id at every sign-in, POSTs
//! from other sites are refused, and failed sign-ins are throttled per
//! username. Steps 03 and 04 keep these routes on stores of their own.
//! Every deliberate flaw is one `if app.has("...")` away from the correct
//! code.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    future::Future,
    io,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
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
use serde::Deserialize;
use serde_json::json;

use crate::{
    Config,
    s01::{
        COOKIE_NAME, FAILED, Session, content_type, escape, local_next, new_id, not_found, page,
        resolve_static, session_cookie,
    },
    users_file::FileAccounts,
};

const COMMON_PASSWORDS: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/common-passwords.txt"));
/// Failed sign-ins a username may have within [`WINDOW`].
const LIMIT: usize = 5;
const WINDOW: Duration = Duration::from_secs(60);

/// Why an account could not be created.
pub(crate) enum RegisterError {
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
    accounts: Box<dyn Accounts>,
    sessions: Box<dyn SessionStore>,
    /// From step 04: the lifetime of a remember-me sign-in, offered by a
    /// checkbox in the sign-in form.
    remember: Option<Duration>,
    /// Recent failed sign-ins, by lower-cased username.
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// The `throttle-everyone` flaw's one lock-out for the whole server.
    everyone_locked_until: Mutex<Option<Instant>>,
}

type Shared = Arc<App>;

/// A future that a [`SessionStore`] method returns.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where accounts live: `users.json` in steps 02 and 03, SQL in step 04.
pub(crate) trait Accounts: Send + Sync + 'static {
    /// The account's username, as stored, when `password` is its password;
    /// `None` for a wrong password and an unknown name alike.
    fn check_password<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, io::Result<Option<String>>>;
    /// Creates the account of a name and password that keep the rules;
    /// returns its username.
    fn register<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<String, RegisterError>>;
}

/// Where sessions live: in memory here, in files in step 03, in SQL in
/// step 04. A store knows the session cookie's value; the app adds the
/// cookie's attributes.
pub(crate) trait SessionStore: Send + Sync + 'static {
    /// Who the request's session cookie belongs to, if anyone.
    fn current_user<'a>(&'a self, headers: &'a HeaderMap) -> BoxFuture<'a, Option<String>>;
    /// A new session for `username` that lives `lifetime` without use; the
    /// one the browser sent (if any) is ended. Returns the new cookie value.
    fn sign_in<'a>(
        &'a self,
        username: &'a str,
        headers: &'a HeaderMap,
        lifetime: Duration,
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
        // Always SESSION_TTL_SECS: step 02 has no remember-me.
        _lifetime: Duration,
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

/// Step 02's server: accounts in `users.json`, sessions in memory.
pub fn app(config: Config, flaw: &'static str) -> Router {
    let sessions = MemorySessions { flaw, ttl: config.session_ttl, sessions: Mutex::default() };
    let stores = Stores {
        accounts: Box::new(FileAccounts::new(&config.data_dir, flaw)),
        sessions: Box::new(sessions),
        remember: None,
    };
    router(config, flaw, stores)
}

/// What a step puts under step 02's routes.
pub(crate) struct Stores {
    pub(crate) accounts: Box<dyn Accounts>,
    pub(crate) sessions: Box<dyn SessionStore>,
    /// From step 04: the lifetime of a remember-me sign-in.
    pub(crate) remember: Option<Duration>,
}

/// Step 02's routes on the accounts and sessions of `stores`.
pub(crate) fn router(config: Config, flaw: &'static str, stores: Stores) -> Router {
    let Stores { accounts, sessions, remember } = stores;
    let app = Arc::new(App {
        origin: origin_of(&config.public_url),
        common: COMMON_PASSWORDS
            .lines()
            .map(|line| line.trim().to_lowercase())
            .filter(|line| !line.is_empty())
            .collect(),
        config,
        flaw,
        accounts,
        sessions,
        remember,
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
    /// Whether the server has `flaw`: one of step 02's, or of a later step
    /// whose flaw is in these routes (`string-sql`, `always-max-age`).
    fn has(&self, flaw: &str) -> bool {
        debug_assert!(
            mutants::FLAWS.iter().any(|known| known.name == flaw),
            "no flaw {flaw} in the table"
        );
        self.flaw == flaw
    }

    // ------------------------------------------------------------ sessions

    async fn current_user(&self, headers: &HeaderMap) -> Option<String> {
        self.sessions.current_user(headers).await
    }

    /// A new session for `username`, whatever id the browser sent, which
    /// is ended; remembered for `REMEMBER_TTL_SECS` when asked for and the
    /// step offers it. Returns the `Set-Cookie` value.
    async fn sign_in(
        &self,
        username: &str,
        headers: &HeaderMap,
        remember: bool,
    ) -> io::Result<HeaderValue> {
        self.succeeded(username);
        let remembered = self.remember.filter(|_| remember && !self.has("remember-ignored"));
        let lifetime = remembered.unwrap_or(self.config.session_ttl);
        let value = self.sessions.sign_in(username, headers, lifetime).await?;
        // Only a remembered session outlives the browser.
        let max_age = if remembered.is_some() || self.has("always-max-age") {
            format!("; Max-Age={}", lifetime.as_secs())
        } else {
            String::new()
        };
        Ok(self.cookie(&format!("{COOKIE_NAME}={value}; HttpOnly; SameSite=Lax; Path=/{max_age}")))
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

    /// A 500 page; what went wrong goes to the log only.
    fn storage_error(&self, what: &str, error: &io::Error) -> Response {
        eprintln!("mutant: cannot {what}: {error}");
        // `string-sql` shows the database's own words, as `e.to_string()` would.
        let cause = if self.has("string-sql") {
            format!("\n<pre>{}</pre>", escape(&error.to_string()))
        } else {
            String::new()
        };
        let body = format!("<h1>Something went wrong</h1>{cause}");
        (StatusCode::INTERNAL_SERVER_ERROR, page("Error", &body)).into_response()
    }
}

// ---------------------------------------------------------------- cross-site

/// `scheme://host[:port]` of a URL, lower case, without a default port.
pub(crate) fn origin_of(url: &str) -> String {
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
    /// The remember-me checkbox (step 04 on): sent only when ticked.
    remember: Option<String>,
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

fn login_form(app: &App, next: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    let remember = if app.remember.is_some() && !app.has("no-remember-box") {
        "<label><input type=\"checkbox\" name=\"remember\" value=\"1\"> Keep me signed in</label>\n"
    } else {
        ""
    };
    format!(
        "<h1>Sign in</h1>\n{error}<form method=\"post\" action=\"/login\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\n\
         <label>Username <input type=\"text\" name=\"username\" autocomplete=\"username\" required></label>\n\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>\n\
         {remember}<button type=\"submit\">Sign in</button>\n</form>\n\
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
        None => {
            page("Sign in", &login_form(&app, local_next(&params.next).unwrap_or_default(), None))
        }
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
    let verified = match app.accounts.check_password(&form.username, &form.password).await {
        Ok(verified) => verified,
        Err(error) => return app.storage_error("check a password", &error),
    };
    let Some(username) = verified else {
        // ...except by the flaw, which lets a right one through.
        if let Some(wait) = wait {
            return too_many(wait);
        }
        app.failed(&form.username);
        eprintln!("mutant: failed sign-in for {:?}", form.username);
        let next = local_next(&form.next).unwrap_or_default();
        return (StatusCode::UNAUTHORIZED, page("Sign in", &login_form(&app, next, Some(FAILED))))
            .into_response();
    };

    match app.sign_in(&username, &headers, form.remember.is_some()).await {
        Ok(cookie) => {
            eprintln!("mutant: {username} signed in");
            see_other(local_next(&form.next).unwrap_or("/cabinet"), cookie)
        }
        Err(error) => app.storage_error("start a session", &error),
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
    match app.accounts.register(&form.username, &form.password).await {
        Ok(username) => {
            eprintln!("mutant: {username} registered");
            match app.sign_in(&username, &headers, false).await {
                Ok(cookie) => see_other("/cabinet", cookie),
                Err(error) => app.storage_error("start a session", &error),
            }
        }
        Err(RegisterError::Taken) => {
            (StatusCode::CONFLICT, register_form(Some("This username is taken."))).into_response()
        }
        Err(RegisterError::Storage(error)) => app.storage_error("store an account", &error),
    }
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
}
