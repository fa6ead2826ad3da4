"""HHA 504 week 7, done carefully: Google sign-in, a first sign-in that
registers the person, and a sign-out that destroys the session.

The provider comes from the settings (GOOGLE_DISCOVERY_URL, with Google's
as the default); the session lives on the server, behind a random id in an
HttpOnly, SameSite=Lax cookie that is new at every sign-in.
"""

import json
import os
import secrets
import sqlite3
import urllib.parse
import urllib.request

from flask import Flask, redirect, request, url_for

app = Flask(__name__)
DISCOVERY_URL = os.environ.get(
    "GOOGLE_DISCOVERY_URL", "https://accounts.google.com/.well-known/openid-configuration"
)
CLIENT_ID = os.environ.get("GOOGLE_CLIENT_ID")
CLIENT_SECRET = os.environ.get("GOOGLE_CLIENT_SECRET")
SESSIONS = {}
PENDING = {}


def provider():
    with urllib.request.urlopen(DISCOVERY_URL, timeout=5) as answer:
        return json.load(answer)


def db():
    conn = sqlite3.connect("users.db")
    conn.execute("CREATE TABLE IF NOT EXISTS users (sub TEXT PRIMARY KEY, email TEXT, name TEXT)")
    return conn


def current():
    return SESSIONS.get(request.cookies.get("sid", ""))


@app.route("/")
def index():
    return '<a href="/login">Sign in with Google</a>'


@app.route("/login")
def login():
    state = secrets.token_urlsafe(16)
    pending = secrets.token_hex(16)
    PENDING[pending] = state
    query = urllib.parse.urlencode({
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": url_for("callback", _external=True),
        "scope": "openid email profile",
        "state": state,
    })
    response = redirect(provider()["authorization_endpoint"] + "?" + query)
    response.set_cookie("pending", pending, httponly=True, samesite="Lax")
    return response


@app.route("/login/callback")
def callback():
    state = PENDING.pop(request.cookies.get("pending", ""), None)
    if state is None or request.args.get("state") != state:
        return "Bad state", 400
    meta = provider()
    form = urllib.parse.urlencode({
        "grant_type": "authorization_code",
        "code": request.args["code"],
        "redirect_uri": url_for("callback", _external=True),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }).encode()
    with urllib.request.urlopen(meta["token_endpoint"], data=form, timeout=5) as answer:
        tokens = json.load(answer)
    asking = urllib.request.Request(
        meta["userinfo_endpoint"], headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    with urllib.request.urlopen(asking, timeout=5) as answer:
        info = json.load(answer)
    with db() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO users (sub, email, name) VALUES (?, ?, ?)",
            (info["sub"], info.get("email"), info.get("name")),
        )
    sid = secrets.token_hex(32)
    SESSIONS[sid] = {"email": info.get("email"), "name": info.get("name")}
    response = redirect("/dashboard")
    response.set_cookie("sid", sid, httponly=True, samesite="Lax")
    response.delete_cookie("pending")
    return response


@app.route("/dashboard")
def dashboard():
    user = current()
    if user is None:
        return redirect("/")
    return f"<h1>Hello {user['name']}</h1><p>{user['email']}</p><a href='/logout'>Sign out</a>"


@app.route("/logout")
def logout():
    SESSIONS.pop(request.cookies.get("sid", ""), None)
    response = redirect("/")
    response.delete_cookie("sid")
    return response


if __name__ == "__main__":
    app.run(port=5000, debug=True)
