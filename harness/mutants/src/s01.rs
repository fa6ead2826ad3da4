//! Step 01 (`01-hardcoded`), written from `book/src/contract.md` alone: a login form,
//! a protected page, static files and an in-memory session map. Every
//! deliberate flaw is one `if self.has("...")` away from the correct code.

use std::{
    collections::HashMap,
    path::{Component, Path, PathBuf},
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    Form, Json, Router,
    extract::{Query, Request, State, rejection::FormRejection},
    http::{
        HeaderMap, HeaderValue, Method, StatusCode,
        header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE},
    },
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::json;

use crate::Config;

const USERS_TOML: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/users.toml"));
pub(crate) const COOKIE_NAME: &str = "session";
pub(crate) const FAILED: &str = "Wrong username or password.";

#[derive(Deserialize)]
struct UsersFile {
    users: Vec<User>,
}

#[derive(Deserialize)]
struct User {
    username: String,
    password: String,
}

pub(crate) struct Session {
    pub(crate) username: String,
    pub(crate) expires: Instant,
}

struct App {
    config: Config,
    flaw: &'static str,
    /// In file order: `only-alice` needs to know who is first.
    users: Vec<User>,
    sessions: Mutex<HashMap<String, Session>>,
}

type Shared = Arc<App>;

pub fn app(config: Config, flaw: &'static str) -> Router {
    let file: UsersFile = toml::from_str(USERS_TOML).expect("fixtures/users.toml is valid");
    let app = App { config, flaw, users: file.users, sessions: Mutex::default() };
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/cabinet", get(cabinet))
        .route("/api/me", get(me))
        .fallback(fallback)
        .with_state(Arc::new(app))
}

impl App {
    fn has(&self, flaw: &str) -> bool {
        debug_assert!(mutants::find("01", flaw).is_some(), "no flaw {flaw} in the table");
        self.flaw == flaw
    }

    fn verify(&self, username: &str, password: &str) -> Result<&User, &'static str> {
        let users = if self.has("only-alice") { &self.users[..1] } else { &self.users[..] };
        let user = users.iter().find(|user| {
            if self.has("case-sensitive") {
                user.username == username
            } else {
                user.username.to_lowercase() == username.to_lowercase()
            }
        });
        let enumerate = self.has("user-enumeration");
        let Some(user) = user else {
            return Err(if enumerate { "No such user." } else { FAILED });
        };
        let matches = if self.has("prefix-password") {
            user.password.starts_with(password)
        } else {
            same_bytes(user.password.as_bytes(), password.as_bytes())
        };
        if matches { Ok(user) } else { Err(if enumerate { "Wrong password." } else { FAILED }) }
    }

    /// Where sign-in may lead, if `next` may be followed at all.
    fn next_target<'a>(&self, next: &'a str) -> Option<&'a str> {
        if self.has("open-redirect") {
            Some(next).filter(|next| !next.is_empty())
        } else if self.has("open-redirect-backslash") {
            let mut chars = next.chars();
            let local = chars.next() == Some('/')
                && chars.next() != Some('/')
                && !next.chars().any(char::is_control);
            local.then_some(next)
        } else {
            local_next(next)
        }
    }

    fn current_user(&self, headers: &HeaderMap) -> Option<String> {
        let id = session_cookie(headers)?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        let session = sessions.get_mut(id)?;
        if session.expires <= now {
            sessions.remove(id);
            return None;
        }
        // Sliding expiry: every use buys another SESSION_TTL_SECS.
        session.expires = now + self.config.session_ttl;
        Some(session.username.clone())
    }

    /// Starts a session for `username`; returns its id.
    fn sign_in(&self, username: &str, headers: &HeaderMap) -> String {
        let sent = session_cookie(headers);
        let id = match sent {
            Some(sent) if self.has("fixation") && HeaderValue::from_str(sent).is_ok() => {
                sent.to_owned()
            }
            _ => new_id(),
        };
        let now = Instant::now();
        let mut sessions = self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        sessions.retain(|_, session| session.expires > now);
        if let Some(old) = sent.filter(|old| *old != id) {
            // Whatever the old id was, it never gets to be signed in.
            sessions.remove(old);
        }
        let session =
            Session { username: username.to_owned(), expires: now + self.config.session_ttl };
        sessions.insert(id.clone(), session);
        id
    }

    fn cookie(&self, id: &str) -> String {
        let mut cookie = format!("{COOKIE_NAME}={id}");
        if !self.has("cookie-no-httponly") {
            cookie.push_str("; HttpOnly");
        }
        cookie.push_str("; SameSite=Lax; Path=/");
        if self.config.secure_cookies() && !self.has("never-secure") {
            cookie.push_str("; Secure");
        }
        if self.has("cookie-max-age") {
            cookie.push_str("; Max-Age=1800");
        }
        cookie
    }
}

// ---------------------------------------------------------------- routes

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
    let signed_in = if app.has("home-ignores-session") { None } else { app.current_user(&headers) };
    match signed_in {
        Some(username) => page(
            "Home",
            &format!(
                "<h1>Hello, {}</h1>\n<p>You are signed in. Go to <a href=\"/cabinet\">your cabinet</a>.</p>",
                escape(&username)
            ),
        ),
        None => page(
            "Sign in",
            &form_html(&app, app.next_target(&params.next).unwrap_or_default(), None, ""),
        ),
    }
}

#[derive(Default, Deserialize)]
struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(app): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<Credentials>, FormRejection>,
) -> Response {
    // A body that is not a form reads as empty fields: a failed sign-in.
    let Form(form) = form.unwrap_or_default();
    let user = match app.verify(&form.username, &form.password) {
        Ok(user) => user,
        Err(message) => {
            eprintln!("mutant: failed sign-in for {:?}", form.username);
            let next = app.next_target(&form.next).unwrap_or_default();
            return (
                StatusCode::UNAUTHORIZED,
                page("Sign in", &form_html(&app, next, Some(message), &form.password)),
            )
                .into_response();
        }
    };
    let id = app.sign_in(&user.username, &headers);
    let cookie = HeaderValue::from_str(&app.cookie(&id)).expect("ids and flags are header-safe");
    eprintln!("mutant: {} signed in", user.username);
    if app.has("login-200") {
        let body = format!(
            "<h1>Welcome, {}</h1>\n<p><a href=\"/cabinet\">Your cabinet</a></p>",
            escape(&user.username)
        );
        return ([(SET_COOKIE, cookie)], page("Signed in", &body)).into_response();
    }
    let target = if app.has("next-ignored") { None } else { app.next_target(&form.next) };
    let location = target.and_then(|target| HeaderValue::from_str(target).ok());
    let location = location.unwrap_or(HeaderValue::from_static("/cabinet"));
    (StatusCode::SEE_OTHER, [(LOCATION, location), (SET_COOKIE, cookie)]).into_response()
}

async fn cabinet(State(app): State<Shared>, headers: HeaderMap) -> Response {
    if app.has("crash-on-cabinet") {
        eprintln!("mutant: crashing on purpose");
        std::process::exit(101);
    }
    let username = app.current_user(&headers);
    let mut response = match username {
        None if !app.has("cabinet-open") => {
            (StatusCode::SEE_OTHER, [(LOCATION, "/?next=%2Fcabinet")]).into_response()
        }
        username => {
            let who = escape(username.as_deref().unwrap_or("stranger"));
            let body = format!(
                "<h1>Cabinet</h1>\n<p>Welcome, <strong>{who}</strong>.</p>\n<p>Only you can see this page.</p>"
            );
            page("Cabinet", &body)
        }
    };
    if !app.has("cabinet-cacheable") {
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn me(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let field = if app.has("me-wrong-field") { "user" } else { "username" };
    let mut response = match app.current_user(&headers) {
        Some(username) => Json(json!({ field: username })).into_response(),
        None if app.has("me-anon-200") => Json(json!({})).into_response(),
        None => {
            (StatusCode::UNAUTHORIZED, Json(json!({ "error": "not signed in" }))).into_response()
        }
    };
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `/static/<path>` by hand (from the raw URI, so that no router decodes or
/// normalises the path first); anything else is 404.
async fn fallback(State(app): State<Shared>, request: Request) -> Response {
    if app.has("hang-after-start") {
        std::future::pending::<()>().await;
    }
    let Some(raw) = request.uri().path().strip_prefix("/static/") else {
        return not_found();
    };
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let Ok(decoded) = percent_encoding::percent_decode_str(raw).decode_utf8() else {
        return not_found();
    };
    if app.has("traversal-after-redirect") && decoded.starts_with('/') {
        // As Werkzeug does: the doubled slash merged, by a redirect.
        let merged = decoded.split('/').filter(|part| !part.is_empty()).collect::<Vec<_>>();
        let location = format!("/static/{}", merged.join("/"));
        if let Ok(location) = HeaderValue::from_str(&location) {
            return (StatusCode::PERMANENT_REDIRECT, [(LOCATION, location)]).into_response();
        }
    }
    let file = if app.has("static-traversal") {
        Some(app.config.static_dir.join(&*decoded))
    } else {
        resolve_static(&app.config.static_dir, &decoded)
    };
    // A file missing from STATIC_DIR is "helpfully" looked for from the root.
    let file = match file {
        Some(file) if app.has("traversal-after-redirect") && !file.exists() => {
            Some(Path::new("/").join(&*decoded))
        }
        file => file,
    };
    let Some(file) = file else {
        return not_found();
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let kind = if app.has("static-wrong-type") {
                "application/octet-stream"
            } else {
                content_type(&file)
            };
            ([(CONTENT_TYPE, kind)], bytes).into_response()
        }
        Err(_) if app.has("static-missing-200") => StatusCode::OK.into_response(),
        Err(_) => not_found(),
    }
}

pub(crate) fn not_found() -> Response {
    (StatusCode::NOT_FOUND, page("Not found", "<h1>Not found</h1>")).into_response()
}

// ---------------------------------------------------------------- pages

pub(crate) fn page(title: &str, body: &str) -> Response {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title} - Authlings</title>\n\
         <link rel=\"stylesheet\" href=\"/static/style.css\">\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    ))
    .into_response()
}

/// The sign-in form; `typed` is the password of a failed attempt, which
/// only `echo-password` puts back into the page.
fn form_html(app: &App, next: &str, error: Option<&str>, typed: &str) -> String {
    let action = if app.has("no-form") { "/signin" } else { "/login" };
    let password = if app.has("echo-password") {
        format!(" value=\"{}\"", escape(typed))
    } else {
        String::new()
    };
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(e)))
        .unwrap_or_default();
    format!(
        "<h1>Sign in</h1>\n{error}<form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{}\">\n\
         <label>Username <input type=\"text\" name=\"username\" autocomplete=\"username\" required></label>\n\
         <label>Password <input type=\"password\" name=\"password\"{password} autocomplete=\"current-password\" required></label>\n\
         <button type=\"submit\">Sign in</button>\n</form>",
        escape(next)
    )
}

// ---------------------------------------------------------------- helpers

/// `next` when it is a local path: one `/`, not `//` or `/\`, no control
/// characters (browsers drop tabs and newlines, turning `/\t/x` into `//x`).
pub fn local_next(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let local = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(char::is_control);
    local.then_some(next)
}

/// The file under `dir` that the decoded `/static/` path names, or `None`
/// if the path is empty or has any root, prefix or `..` component.
pub fn resolve_static(dir: &Path, decoded: &str) -> Option<PathBuf> {
    let mut file = dir.to_path_buf();
    let mut any = false;
    for component in Path::new(decoded).components() {
        match component {
            Component::Normal(part) => {
                file.push(part);
                any = true;
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    any.then_some(file)
}

pub fn content_type(file: &Path) -> &'static str {
    let extension =
        file.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    match extension.as_str() {
        "txt" => "text/plain; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// The value of the first `session` cookie of the request.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE_NAME && !value.is_empty())
        .map(|(_, value)| value)
}

/// 128 random bits as 32 hex digits.
pub(crate) fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares every byte, whatever the first difference.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).unwrap_or(&0) ^ b.get(i).unwrap_or(&0);
    }
    diff == 0
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_followed() {
        for next in ["/", "/cabinet", "/api/me?x=1#top", "/a//b", "/caf\u{e9}"] {
            assert_eq!(local_next(next), Some(next), "{next:?}");
        }
    }

    #[test]
    fn paths_that_could_leave_the_site_are_refused() {
        for next in [
            "",
            "cabinet",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "/cabinet\r\nSet-Cookie: x=1",
            "\\\\evil.example",
        ] {
            assert_eq!(local_next(next), None, "{next:?}");
        }
    }

    #[test]
    fn static_paths_stay_inside_the_folder() {
        let dir = Path::new("/srv/static");
        assert_eq!(resolve_static(dir, "style.css"), Some(dir.join("style.css")));
        assert_eq!(resolve_static(dir, "img/./logo.svg"), Some(dir.join("img/logo.svg")));
        assert_eq!(resolve_static(dir, "a//b.txt"), Some(dir.join("a/b.txt")));
        for path in
            ["", ".", "../secret.txt", "a/../../secret.txt", "a/..", "/etc/passwd", "//etc/passwd"]
        {
            assert_eq!(resolve_static(dir, path), None, "{path:?}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type(Path::new("a/style.CSS")), "text/css; charset=utf-8");
        assert_eq!(content_type(Path::new("logo.svg")), "image/svg+xml");
        assert_eq!(content_type(Path::new("x.png")), "image/png");
        assert_eq!(content_type(Path::new("README")), "application/octet-stream");
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("theme=dark; session=abc ; x=1"));
        assert_eq!(session_cookie(&headers), Some("abc"));
        headers.clear();
        headers.append(COOKIE, HeaderValue::from_static("sessionx=1; session="));
        assert_eq!(session_cookie(&headers), None);
    }

    #[test]
    fn ids_are_fresh_hex() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn passwords_compare_exactly() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"ab"));
        assert!(!same_bytes(b"", b"a"));
        assert!(!same_bytes(b"abc", b"abd"));
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("Carol <script>\"&'"), "Carol &lt;script&gt;&quot;&amp;&#39;");
    }
}
