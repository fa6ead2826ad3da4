"""Step 04 of Authlings in Flask, written from the contract alone.

Written from `book/src/contract.md` and the step chapters' descriptions
(01, 02, 04), without reading or porting the Rust solutions: the test
`other_languages` grades it at step 04 and expects full marks.

Stock Flask and Werkzeug do what they can (routing, forms, escaping, static
files, cookies); argon2-cffi hashes the passwords, and Python's sqlite3 keeps
users and sessions in `DATABASE_URL` (by default `sqlite://$DATA_DIR/app.db`).
Written by hand is only what the contract fixes: the tables, their
migration, and the sessions' expiry, remember-me and sweep. SQLite only:
a `postgres://` URL stops the server, saying so.

Run: python3 app.py
"""

import base64
import hashlib
import json
import math
import os
import re
import secrets
import sqlite3
import signal
import sys
import threading
import time
from urllib.parse import urlsplit

import argon2
from flask import Flask, jsonify, make_response, redirect, request
from markupsafe import escape
from werkzeug.serving import make_server


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def setting(name, default=None):
    value = os.environ.get(name)
    return value if value else default


def int_setting(name, default):
    value = setting(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        fail(f"{name} must be a whole number, not {value!r}")
    if number <= 0:
        fail(f"{name} must be positive, not {value!r}")
    return number


HOST = setting("HOST", "127.0.0.1")
PORT = int_setting("PORT", 5000)
PUBLIC_URL = setting("PUBLIC_URL", f"http://localhost:{PORT}").rstrip("/")
if not PUBLIC_URL.startswith(("http://", "https://")):
    fail(f"PUBLIC_URL must start with http:// or https://, not {PUBLIC_URL!r}")
_public = urlsplit(PUBLIC_URL)
OUR_ORIGIN = f"{_public.scheme}://{_public.netloc}".lower()
SECURE = PUBLIC_URL.startswith("https://")
DATA_DIR = os.path.abspath(setting("DATA_DIR", "data/04-db-sessions-flask"))
STATIC_DIR = os.path.abspath(setting("STATIC_DIR", "fixtures/static"))
TTL = int_setting("SESSION_TTL_SECS", 1800)
ABSOLUTE_TTL = int_setting("SESSION_ABSOLUTE_TTL_SECS", 43200)
REMEMBER_TTL = int_setting("REMEMBER_TTL_SECS", 2592000)
os.makedirs(DATA_DIR, mode=0o700, exist_ok=True)
DATABASE_URL = setting("DATABASE_URL", f"sqlite://{DATA_DIR}/app.db")
if not DATABASE_URL.startswith("sqlite:"):
    fail("DATABASE_URL: this Flask server speaks SQLite only (sqlite://PATH)")
DB_PATH = DATABASE_URL[len("sqlite:"):].removeprefix("//").split("?", 1)[0]
if not DB_PATH:
    fail(f"DATABASE_URL names no file: {DATABASE_URL!r}")
DB_PATH = os.path.abspath(DB_PATH)

with open("fixtures/common-passwords.txt", encoding="utf-8") as f:
    COMMON = {line.strip().lower() for line in f if line.strip()}

hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))

app = Flask(__name__, static_folder=STATIC_DIR, static_url_path="/static")


# ---- the database ---------------------------------------------------------------

MIGRATIONS = [
    # 1: users and sessions. Times are Unix seconds; a session's id is the
    # SHA-256 of the id in the cookie, so the table holds no live cookie.
    """
    CREATE TABLE IF NOT EXISTS users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions(expires_at);
    CREATE INDEX IF NOT EXISTS sessions_user_id ON sessions(user_id);
    """,
]


def connect():
    db = sqlite3.connect(DB_PATH, timeout=30, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    return db


def migrate():
    db = connect()
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("BEGIN IMMEDIATE")
        db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
        for version, sql in enumerate(MIGRATIONS, start=1):
            if version not in done:
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", (version, int(time.time())))
        db.execute("COMMIT")
    finally:
        db.close()


migrate()


# ---- users -----------------------------------------------------------------------

USERNAME = re.compile(r"[a-z0-9_.\-]{3,32}")


def username_ok(name):
    return USERNAME.fullmatch(name.lower()) is not None


def password_rule(username, password):
    """None if the password may be used, else the rule it breaks."""
    if len(password) < 8:
        return "A password needs at least 8 characters."
    if len(password) > 128:
        return "A password may have at most 128 characters."
    if password.lower() == username.lower():
        return "The password may not be the username."
    if password.lower() in COMMON:
        return "That password is too common."
    return None


def verify(username, password):
    """(id, username) if the password is right, else None (same work either way)."""
    row = None
    if username_ok(username):
        db = connect()
        try:
            row = db.execute(
                "SELECT id, username, password_hash FROM users WHERE username = ? AND password_hash IS NOT NULL",
                (username.lower(),),
            ).fetchone()
        finally:
            db.close()
    try:
        hasher.verify(row[2] if row else DUMMY_HASH, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return None
    return (row[0], row[1]) if row else None


# ---- throttling ------------------------------------------------------------------

WINDOW, LIMIT = 60, 5
throttle_lock = threading.Lock()
failures = {}  # name -> [times]
lanes = {}  # name -> Lock: sign-ins for one name take turns


def lane(name):
    with throttle_lock:
        return lanes.setdefault(name, threading.Lock())


def wait_for(name):
    """Seconds until `name` may try again, or 0."""
    now = time.monotonic()
    with throttle_lock:
        times = [t for t in failures.get(name, []) if now - t < WINDOW]
        failures[name] = times
        if len(times) >= LIMIT:
            return max(1, math.ceil(WINDOW - (now - times[0])))
    return 0


def failed(name):
    with throttle_lock:
        failures.setdefault(name, []).append(time.monotonic())


def succeeded(name):
    with throttle_lock:
        failures.pop(name, None)


# ---- sessions: a random id in the cookie, a row in the database ---------------

ID = re.compile(r"[A-Za-z0-9_-]{22,200}")


def key(sid):
    return hashlib.sha256(sid.encode("ascii")).hexdigest()


def cookie_id():
    """The one `session` cookie's id if it has the shape of one, else None."""
    cookies = request.cookies.getlist("session")
    if len(cookies) != 1 or ID.fullmatch(cookies[0]) is None:
        return None
    return cookies[0]


def current_user():
    """The username of this request's live session, or None."""
    sid = cookie_id()
    if sid is None:
        return None
    db = connect()
    try:
        row = db.execute(
            "SELECT u.username, s.expires_at, s.ends_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?",
            (key(sid),),
        ).fetchone()
        if row is None:
            return None
        username, expires_at, ends_at = row
        now = int(time.time())
        if now >= expires_at or now >= ends_at:
            db.execute("DELETE FROM sessions WHERE id = ?", (key(sid),))
            return None
        renewed = min(now + TTL, ends_at)
        if renewed - expires_at >= max(1, TTL // 10):
            # Only an UPDATE: a row deleted meanwhile (signed out) stays deleted.
            db.execute("UPDATE sessions SET expires_at = ? WHERE id = ? AND expires_at < ?", (renewed, key(sid), renewed))
        return username
    finally:
        db.close()


def start_session(user_id, remember):
    """A new session row under a fresh id; the old one (if any) is deleted."""
    db = connect()
    try:
        old = cookie_id()
        if old is not None:
            db.execute("DELETE FROM sessions WHERE id = ?", (key(old),))
        now = int(time.time())
        if remember:
            expires_at = ends_at = now + REMEMBER_TTL
        else:
            ends_at = now + ABSOLUTE_TTL
            expires_at = min(now + TTL, ends_at)
        while True:
            sid = secrets.token_urlsafe(32)
            try:
                db.execute(
                    "INSERT INTO sessions (id, user_id, expires_at, ends_at, created_at) VALUES (?, ?, ?, ?, ?)",
                    (key(sid), user_id, expires_at, ends_at, now),
                )
                return sid
            except sqlite3.IntegrityError:
                continue
    finally:
        db.close()


def set_session_cookie(response, value, remember=False):
    response.set_cookie(
        "session",
        value,
        max_age=REMEMBER_TTL if remember else None,
        httponly=True,
        samesite="Lax",
        path="/",
        secure=SECURE,
    )


def clear_session_cookie(response):
    response.set_cookie(
        "session", "", max_age=0, expires=0, httponly=True, samesite="Lax", path="/", secure=SECURE
    )


def sweep_forever():
    while True:
        try:
            db = connect()
            try:
                db.execute("DELETE FROM sessions WHERE expires_at <= ? OR ends_at <= ?", (int(time.time()),) * 2)
            finally:
                db.close()
        except sqlite3.Error as error:
            print(f"sweep failed, trying again: {error}", file=sys.stderr)
        time.sleep(min(60, max(1, TTL)))


# ---- pages -----------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>{body}</body></html>"""

SIGN_OUT = '<form method="post" action="/logout"><button type="submit">Sign out</button></form>'


def page(title, body, status=200):
    response = make_response(PAGE.format(title=escape(title), body=body), status)
    response.content_type = "text/html; charset=utf-8"
    return response


def local_next(value):
    if not value or not value.startswith("/") or value[1:2] in ("/", "\\"):
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return value


def sign_in_form(message="", next_path=None, status=200):
    hidden = f'<input type="hidden" name="next" value="{escape(next_path)}">' if next_path else ""
    body = (
        (f'<p role="alert">{escape(message)}</p>' if message else "")
        + '<form method="post" action="/login">'
        + '<label>Username <input name="username" autocomplete="username"></label>'
        + '<label>Password <input type="password" name="password" autocomplete="current-password"></label>'
        + '<label><input type="checkbox" name="remember" value="1"> Remember me on this device</label>'
        + hidden
        + '<button type="submit">Sign in</button></form>'
        + '<p><a href="/register">Register</a></p>'
    )
    return page("Sign in", body, status)


def register_form(message="", status=200):
    body = (
        (f'<p role="alert">{escape(message)}</p>' if message else "")
        + '<form method="post" action="/register">'
        + '<label>Username <input name="username" autocomplete="username"></label>'
        + '<label>Password <input type="password" name="password" autocomplete="new-password"></label>'
        + '<button type="submit">Register</button></form>'
    )
    return page("Register", body, status)


def private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@app.before_request
def refuse_cross_site_posts():
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        origin = request.headers.get("Origin")
        if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site" or (
            origin is not None and origin.rstrip("/").lower() != OUR_ORIGIN
        ):
            return page("Forbidden", "<p>Cross-site requests are refused.</p>", 403)
    return None


@app.after_request
def security_headers(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@app.errorhandler(404)
def not_found(_error):
    return page("Not found", "<p>There is no such page.</p>", 404)


@app.errorhandler(500)
def server_error(_error):
    return page("Server error", "<p>Something went wrong on our side.</p>", 500)


@app.get("/")
def home():
    username = current_user()
    if username is None:
        return sign_in_form(next_path=local_next(request.args.get("next")))
    return page("Welcome", f"<p>Signed in as {escape(username)}.</p>" + '<p><a href="/cabinet">Cabinet</a></p>' + SIGN_OUT)


@app.post("/login")
def login():
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    next_path = local_next(request.form.get("next"))
    name = username.lower() if username_ok(username) else None
    if name is None:
        verify(username, password)
        return sign_in_form("Wrong username or password.", next_path, 401)
    with lane(name):
        wait = wait_for(name)
        if wait:
            response = page("Too many attempts", f"<p>Too many failed sign-ins. Try again in {wait} seconds.</p>", 429)
            response.headers["Retry-After"] = str(wait)
            return response
        user = verify(username, password)
        if user is None:
            failed(name)
            app.logger.warning("failed sign-in for %s", name)
            return sign_in_form("Wrong username or password.", next_path, 401)
        succeeded(name)
    remember = request.form.get("remember", "") not in ("", "0", "false", "off")
    response = redirect(next_path or "/cabinet", 303)
    set_session_cookie(response, start_session(user[0], remember), remember)
    return response


@app.get("/cabinet")
def cabinet():
    username = current_user()
    if username is None:
        return private(redirect("/?next=%2Fcabinet", 303))
    return private(page("Cabinet", f"<p>This is the cabinet of {escape(username)}.</p>" + SIGN_OUT))


@app.get("/api/me")
def me():
    username = current_user()
    if username is None:
        return private(make_response(jsonify(error="not signed in"), 401))
    return private(jsonify(username=username))


@app.get("/logout")
def logout_page():
    return page("Sign out", SIGN_OUT)


@app.post("/logout")
def logout():
    sid = cookie_id()
    if sid is not None:
        db = connect()
        try:
            db.execute("DELETE FROM sessions WHERE id = ?", (key(sid),))
        finally:
            db.close()
    response = redirect("/", 303)
    clear_session_cookie(response)
    return response


@app.get("/register")
@app.get("/register/")
def register_page():
    return register_form()


@app.post("/register")
def register():
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    if not username_ok(username):
        return register_form("A username is 3 to 32 of a-z, 0-9, _, . and -.", 400)
    rule = password_rule(username, password)
    if rule:
        return register_form(rule, 400)
    name = username.lower()
    db = connect()
    try:
        if db.execute("SELECT 1 FROM users WHERE username = ?", (name,)).fetchone():
            return register_form("That username is taken.", 409)
        password_hash = hasher.hash(password)
        try:
            user_id = db.execute(
                "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)",
                (name, password_hash, int(time.time())),
            ).lastrowid
        except sqlite3.IntegrityError:
            return register_form("That username is taken.", 409)
    finally:
        db.close()
    response = redirect("/cabinet", 303)
    set_session_cookie(response, start_session(user_id, False))
    return response


def main():
    server = make_server(HOST, PORT, app, threaded=True)
    server.daemon_threads = False  # so that server_close waits for requests in flight
    server.block_on_close = True

    def on_sigterm(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, on_sigterm)
    threading.Thread(target=sweep_forever, daemon=True).start()
    print(f"listening on http://{HOST}:{PORT} (PUBLIC_URL {PUBLIC_URL})", file=sys.stderr)
    server.serve_forever()
    server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
