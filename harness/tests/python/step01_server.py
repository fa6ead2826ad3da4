#!/usr/bin/env python3
"""Authlings step 01 in Python, written from the contract (book/src/contract.md) alone.

A login form, a protected page, static files and a session cookie, with the
users of fixtures/users.toml built in. Standard library only, Python 3.11+.
The harness grades it like any other server:

    cargo run -q -p harness -- check 01 --cmd "python3 harness/tests/python/step01_server.py"
"""

import hmac
import html
import json
import mimetypes
import os
import secrets
import signal
import sys
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote

# --- Configuration: the environment, with the contract's defaults ----------

HOST = os.environ.get("HOST", "127.0.0.1")
PORT = int(os.environ.get("PORT", "5000"))
DATA_DIR = Path(os.environ.get("DATA_DIR", "./data"))
STATIC_DIR = Path(os.environ.get("STATIC_DIR", "fixtures/static")).resolve()
PUBLIC_URL = os.environ.get("PUBLIC_URL", f"http://localhost:{PORT}")
SESSION_TTL_SECS = int(os.environ.get("SESSION_TTL_SECS", "1800"))
SECURE_COOKIE = PUBLIC_URL.startswith("https://")

# --- Users: built in from the fixture, keyed by lower-cased username ---------

with open("fixtures/users.toml", "rb") as users_file:
    USERS = {u["username"].lower(): u for u in tomllib.load(users_file)["users"]}

# A password to compare against when the username is unknown, so that an
# unknown user costs the same work as a wrong password.
DECOY = secrets.token_bytes(32)


def check_password(username: str, password: str) -> dict | None:
    """The user, if the password is exactly theirs; None otherwise."""
    user = USERS.get(username.lower())
    expected = user["password"].encode() if user else DECOY
    matches = hmac.compare_digest(password.encode(), expected)
    return user if user and matches else None


# --- Sessions: in memory, id -> (username, expiry) ----------------------------

SESSIONS: dict[str, tuple[str, float]] = {}
SESSIONS_LOCK = threading.Lock()


def start_session(username: str) -> str:
    """A brand-new id: an id from before sign-in never becomes signed in."""
    session_id = secrets.token_urlsafe(32)
    with SESSIONS_LOCK:
        SESSIONS[session_id] = (username, time.time() + SESSION_TTL_SECS)
    return session_id


def end_session(session_id: str | None) -> None:
    with SESSIONS_LOCK:
        SESSIONS.pop(session_id or "", None)


def session_user(session_id: str | None) -> dict | None:
    """Who the session belongs to; each use extends its life by the TTL."""
    if not session_id:
        return None
    now = time.time()
    with SESSIONS_LOCK:
        entry = SESSIONS.get(session_id)
        if entry is None:
            return None
        if entry[1] <= now:
            del SESSIONS[session_id]
            return None
        SESSIONS[session_id] = (entry[0], now + SESSION_TTL_SECS)
    return USERS.get(entry[0].lower())


def session_cookie(session_id: str) -> str:
    """No Max-Age or Expires: the cookie ends with the browser session."""
    cookie = f"session={session_id}; HttpOnly; SameSite=Lax; Path=/"
    return cookie + "; Secure" if SECURE_COOKIE else cookie


def local_next(value: str | None) -> str | None:
    """`value` if it is a path on this site: one `/`, then not `/` or `\\`."""
    if not value or not value.startswith("/") or value[1:2] in ("/", "\\"):
        return None
    # Percent-encode whatever cannot stand in a URL (spaces, tabs, line
    # breaks, non-ASCII): a browser would drop a tab from "/\t/evil.example"
    # and go to //evil.example, and a line break would end the header.
    return quote(value, safe="/?&=#%:@!$'()*+,;~-._")


# --- Pages -------------------------------------------------------------------


def page(title: str, body: str) -> bytes:
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        '<link rel="stylesheet" href="/static/style.css"></head>\n'
        f"<body><main>\n{body}\n</main></body></html>\n"
    ).encode()


def login_page(next_path: str | None, username: str = "", error: str = "") -> bytes:
    message = f'<p class="error" role="alert">{html.escape(error)}</p>\n' if error else ""
    hidden = (
        f'<input type="hidden" name="next" value="{html.escape(next_path)}">\n'
        if next_path
        else ""
    )
    return page(
        "Sign in",
        f"<h1>Sign in</h1>\n{message}"
        '<form method="post" action="/login">\n'
        f"{hidden}"
        '<label>Username <input name="username" autocomplete="username" '
        f'value="{html.escape(username)}" required></label>\n'
        '<label>Password <input type="password" name="password" '
        'autocomplete="current-password" required></label>\n'
        '<button type="submit">Sign in</button>\n</form>',
    )


def home_page(user: dict) -> bytes:
    return page(
        "Welcome",
        f"<h1>Hello, {html.escape(user['username'])}</h1>\n"
        '<p><a href="/cabinet">Your cabinet</a></p>',
    )


def cabinet_page(user: dict) -> bytes:
    name = html.escape(user.get("name", user["username"]))
    return page(
        "Cabinet",
        f"<h1>Cabinet of {html.escape(user['username'])}</h1>\n"
        f"<p>Signed in as <strong>{name}</strong>.</p>",
    )


# --- Static files -------------------------------------------------------------

CONTENT_TYPES = {
    ".html": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".txt": "text/plain", ".svg": "image/svg+xml", ".png": "image/png",
    ".jpg": "image/jpeg", ".ico": "image/x-icon", ".json": "application/json",
}


def static_file(raw_path: str) -> Path | None:
    """The file a /static/ path names, or None when it would leave STATIC_DIR.

    Decode once, then refuse empty, `.` and `..` components, backslashes and
    drive letters before touching the disk; then resolve symlinks and make
    sure the result is still inside STATIC_DIR.
    """
    decoded = unquote(raw_path, errors="strict")
    parts = decoded.split("/")
    for part in parts:
        if part in ("", ".", "..") or "\\" in part or ":" in part or "\0" in part:
            return None
    candidate = STATIC_DIR.joinpath(*parts).resolve()
    if not candidate.is_relative_to(STATIC_DIR) or not candidate.is_file():
        return None
    return candidate


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    guessed = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]
    return guessed or "application/octet-stream"


# --- HTTP ---------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    server_version = "AuthlingsPython/1"
    timeout = 4  # a client that sends nothing must not hold up shutdown

    def send(self, status: int, body: bytes, kind: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # On every answer: no type sniffing, no framing by another site.
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_html(self, status: int, body: bytes, headers: dict | None = None):
        self.send(status, body, "text/html; charset=utf-8", headers)

    def send_json(self, status: int, value: dict):
        body = json.dumps(value).encode()
        self.send(status, body, "application/json", {"Cache-Control": "no-store"})

    def redirect(self, location: str, headers: dict | None = None):
        self.send(303, b"", "text/plain", {"Location": location, **(headers or {})})

    def not_found(self):
        self.send(404, b"Not found\n", "text/plain; charset=utf-8")

    def session_id(self) -> str | None:
        for pair in self.headers.get("Cookie", "").split(";"):
            name, _, value = pair.strip().partition("=")
            if name == "session":
                return value
        return None

    def do_GET(self):
        path, _, query = self.path.partition("?")
        user = session_user(self.session_id())
        if path == "/":
            if user:
                self.send_html(200, home_page(user))
            else:
                next_path = local_next(parse_qs(query).get("next", [None])[0])
                self.send_html(200, login_page(next_path))
        elif path == "/cabinet":
            if user:
                self.send_html(200, cabinet_page(user), {"Cache-Control": "no-store"})
            else:
                self.redirect("/?next=%2Fcabinet")
        elif path == "/api/me":
            if user:
                self.send_json(200, {"username": user["username"], "name": user.get("name")})
            else:
                self.send_json(401, {"error": "not signed in"})
        elif path.startswith("/static/"):
            try:
                file = static_file(path.removeprefix("/static/"))
            except UnicodeDecodeError:
                file = None
            if file is None:
                return self.not_found()
            self.send(200, file.read_bytes(), content_type(file))
        else:
            self.not_found()

    do_HEAD = do_GET

    def do_POST(self):
        if self.path.partition("?")[0] != "/login":
            return self.not_found()
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > 64 * 1024:
            return self.send(400, b"Bad request body\n", "text/plain; charset=utf-8")
        body = self.rfile.read(int(length)).decode("ascii", errors="replace")
        try:
            form = parse_qs(body, keep_blank_values=True, max_num_fields=16)
        except ValueError:
            return self.send(400, b"Too many fields\n", "text/plain; charset=utf-8")

        def field(name: str) -> str:
            return form.get(name, [""])[0]

        next_path = local_next(field("next"))
        user = check_password(field("username"), field("password"))
        if user is None:
            self.log_message("failed sign-in for %r", field("username"))
            error = "Wrong username or password."
            return self.send_html(401, login_page(next_path, field("username"), error))
        end_session(self.session_id())
        session_id = start_session(user["username"])
        self.log_message("%s signed in", user["username"])
        self.redirect(next_path or "/cabinet", {"Set-Cookie": session_cookie(session_id)})


def main():
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((HOST, PORT), Handler)

    def on_sigterm(signum, frame):
        # shutdown() waits for serve_forever() to return, and serve_forever()
        # runs in this (the main) thread: ask from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, on_sigterm)
    print(f"listening on http://{HOST}:{PORT} (public URL {PUBLIC_URL})", file=sys.stderr)
    server.serve_forever()
    server.server_close()
    # Let the requests in flight (one thread each) finish, but exit within
    # the contract's 5 s even if a client is slow.
    deadline = time.monotonic() + 3
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()
