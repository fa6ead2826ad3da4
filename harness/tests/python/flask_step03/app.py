"""Step 03 of Authlings in Flask, written from the contract alone.

Written from `book/src/contract.md` and the step chapters' descriptions
(01, 02, 03), without reading or porting the Rust solutions: the test
`other_languages` grades it at step 03 and expects full marks, which is the
kit's promise that a correct server in any language gets them.

Stock Flask and Werkzeug do what they can (routing, forms, escaping, static
files, cookies); argon2-cffi hashes the passwords. Written by hand is only
what the contract fixes: the cookie `<id>.<sig>` signed with HMAC-SHA256 of
SESSION_SECRET, the JSON session files in $DATA_DIR/sessions, and users.json.

Run: SESSION_SECRET=$(head -c 32 /dev/urandom | base64) python3 app.py
"""

import base64
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import signal
import sys
import tempfile
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
DATA_DIR = os.path.abspath(setting("DATA_DIR", "data/03-file-sessions-flask"))
STATIC_DIR = os.path.abspath(setting("STATIC_DIR", "fixtures/static"))
SECRET = setting("SESSION_SECRET")
if SECRET is None:
    fail("SESSION_SECRET is not set: give it at least 32 bytes of random text")
SECRET = SECRET.encode("utf-8")
if len(SECRET) < 32:
    fail("SESSION_SECRET is shorter than 32 bytes")
TTL = int_setting("SESSION_TTL_SECS", 1800)
ABSOLUTE_TTL = int_setting("SESSION_ABSOLUTE_TTL_SECS", 43200)

SESSIONS_DIR = os.path.join(DATA_DIR, "sessions")
TMP_DIR = os.path.join(DATA_DIR, "tmp")
USERS_FILE = os.path.join(DATA_DIR, "users.json")
for folder in (DATA_DIR, SESSIONS_DIR, TMP_DIR):
    os.makedirs(folder, mode=0o700, exist_ok=True)
os.chmod(SESSIONS_DIR, 0o700)

with open("fixtures/common-passwords.txt", encoding="utf-8") as f:
    COMMON = {line.strip().lower() for line in f if line.strip()}

hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))

app = Flask(__name__, static_folder=STATIC_DIR, static_url_path="/static")


# ---- files written atomically -------------------------------------------------


def write_atomically(path, data):
    """A temporary file (mode 0600), synced, then renamed over `path`."""
    fd, tmp = tempfile.mkstemp(dir=TMP_DIR, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


# ---- users -----------------------------------------------------------------------

users_lock = threading.Lock()


def load_users():
    try:
        with open(USERS_FILE, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


users = load_users()
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
    """The stored username if the password is right, else None (same work either way)."""
    record = users.get(username.lower()) if username_ok(username) else None
    try:
        hasher.verify(record["password_hash"] if record else DUMMY_HASH, password)
    except argon2.exceptions.VerificationError:
        return None
    except argon2.exceptions.InvalidHashError:
        return None
    return record["username"] if record else None


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


# ---- sessions: signed cookie, JSON files --------------------------------------

ID = re.compile(r"[A-Za-z0-9_-]{22,200}")
id_locks_lock = threading.Lock()
id_locks = {}


def id_lock(sid):
    with id_locks_lock:
        return id_locks.setdefault(sid, threading.Lock())


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(sid):
    return b64(hmac.new(SECRET, sid.encode("ascii"), hashlib.sha256).digest())


def verified_id(value):
    """The session id of a cookie we signed, or None; no file is opened."""
    parts = value.split(".")
    if len(parts) != 2 or ID.fullmatch(parts[0]) is None:
        return None
    if not hmac.compare_digest(sign(parts[0]).encode(), parts[1].encode("utf-8", "replace")):
        return None
    return parts[0]


def session_path(sid):
    assert ID.fullmatch(sid)
    return os.path.join(SESSIONS_DIR, sid + ".json")


def remove(sid):
    try:
        os.unlink(session_path(sid))
    except FileNotFoundError:
        pass


def current_session():
    """(id, username) of this request's valid session, or (None, None)."""
    cookies = request.cookies.getlist("session")
    if len(cookies) != 1:
        return None, None
    sid = verified_id(cookies[0])
    if sid is None:
        return None, None
    with id_lock(sid):
        try:
            with open(session_path(sid), encoding="utf-8") as f:
                record = json.load(f)
            username = record["username"]
            expires_at = int(record["expires_at"])
            ends_at = int(record["ends_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return sid, None
        now = int(time.time())
        if now >= expires_at or now >= ends_at:
            remove(sid)
            return sid, None
        renewed = min(now + TTL, ends_at)
        if renewed - expires_at >= max(1, TTL // 10):
            record["expires_at"] = renewed
            write_atomically(session_path(sid), record)
        return sid, username


def start_session(username):
    """A new session under a fresh id; the old one (if any) is deleted."""
    old, _ = current_session()
    if old is not None:
        with id_lock(old):
            remove(old)
    sid = secrets.token_urlsafe(32)
    now = int(time.time())
    ends_at = now + ABSOLUTE_TTL
    record = {
        "username": username,
        "created_at": now,
        "expires_at": min(now + TTL, ends_at),
        "ends_at": ends_at,
    }
    with id_lock(sid):
        write_atomically(session_path(sid), record)
    return f"{sid}.{sign(sid)}"


def set_session_cookie(response, value):
    response.set_cookie("session", value, httponly=True, samesite="Lax", path="/", secure=SECURE)


def clear_session_cookie(response):
    response.set_cookie(
        "session", "", max_age=0, expires=0, httponly=True, samesite="Lax", path="/", secure=SECURE
    )


def sweep_forever():
    while True:
        now = time.time()
        for name in os.listdir(SESSIONS_DIR):
            sid = name[: -len(".json")] if name.endswith(".json") else None
            if sid is None or ID.fullmatch(sid) is None:
                continue
            with id_lock(sid):
                try:
                    with open(session_path(sid), encoding="utf-8") as f:
                        record = json.load(f)
                    if now >= int(record["expires_at"]) or now >= int(record["ends_at"]):
                        remove(sid)
                except (OSError, ValueError, KeyError, TypeError):
                    pass
        for name in os.listdir(TMP_DIR):
            path = os.path.join(TMP_DIR, name)
            try:
                if now - os.path.getmtime(path) > 60:
                    os.unlink(path)
            except OSError:
                pass
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
    _, username = current_session()
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
        stored = verify(username, password)
        if stored is None:
            failed(name)
            app.logger.warning("failed sign-in for %s", name)
            return sign_in_form("Wrong username or password.", next_path, 401)
        succeeded(name)
    response = redirect(next_path or "/cabinet", 303)
    set_session_cookie(response, start_session(stored))
    return response


@app.get("/cabinet")
def cabinet():
    _, username = current_session()
    if username is None:
        return private(redirect("/?next=%2Fcabinet", 303))
    return private(page("Cabinet", f"<p>This is the cabinet of {escape(username)}.</p>" + SIGN_OUT))


@app.get("/api/me")
def me():
    _, username = current_session()
    if username is None:
        return private(make_response(jsonify(error="not signed in"), 401))
    return private(jsonify(username=username))


@app.get("/logout")
def logout_page():
    return page("Sign out", SIGN_OUT)


@app.post("/logout")
def logout():
    cookies = request.cookies.getlist("session")
    for value in cookies:
        sid = verified_id(value)
        if sid is not None:
            with id_lock(sid):
                remove(sid)
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
    password_hash = hasher.hash(password)
    with users_lock:
        if name in users:
            return register_form("That username is taken.", 409)
        updated = dict(users)
        updated[name] = {"username": name, "password_hash": password_hash, "created_at": int(time.time())}
        write_atomically(USERS_FILE, updated)
        users[name] = updated[name]
    response = redirect("/cabinet", 303)
    set_session_cookie(response, start_session(name))
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
