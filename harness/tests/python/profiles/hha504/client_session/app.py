"""HHA 504 week 7 as often handed in: Google sign-in into Flask's own
session, a signed cookie. Signing out clears the cookie in the browser, but
a copy of the old cookie still signs in: nothing on the server ends.
"""

import json
import os
import secrets
import sqlite3
import urllib.parse
import urllib.request

from flask import Flask, redirect, request, session, url_for

app = Flask(__name__)
app.secret_key = os.environ.get("SECRET_KEY", "dev")
DISCOVERY_URL = os.environ.get(
    "GOOGLE_DISCOVERY_URL", "https://accounts.google.com/.well-known/openid-configuration"
)


def provider():
    with urllib.request.urlopen(DISCOVERY_URL, timeout=5) as answer:
        return json.load(answer)


@app.route("/")
def index():
    return '<a href="/login">Login with Google</a>'


@app.route("/login")
def login():
    session["state"] = secrets.token_urlsafe(16)
    query = urllib.parse.urlencode({
        "response_type": "code",
        "client_id": os.environ["GOOGLE_CLIENT_ID"],
        "redirect_uri": url_for("authorize", _external=True),
        "scope": "openid email profile",
        "state": session["state"],
    })
    return redirect(provider()["authorization_endpoint"] + "?" + query)


@app.route("/authorize")
def authorize():
    if request.args.get("state") != session.pop("state", None):
        return "Bad state", 400
    meta = provider()
    form = urllib.parse.urlencode({
        "grant_type": "authorization_code",
        "code": request.args["code"],
        "redirect_uri": url_for("authorize", _external=True),
        "client_id": os.environ["GOOGLE_CLIENT_ID"],
        "client_secret": os.environ["GOOGLE_CLIENT_SECRET"],
    }).encode()
    with urllib.request.urlopen(meta["token_endpoint"], data=form, timeout=5) as answer:
        tokens = json.load(answer)
    asking = urllib.request.Request(
        meta["userinfo_endpoint"], headers={"Authorization": "Bearer " + tokens["access_token"]}
    )
    with urllib.request.urlopen(asking, timeout=5) as answer:
        info = json.load(answer)
    conn = sqlite3.connect("patients.db")
    conn.execute("CREATE TABLE IF NOT EXISTS users (google_id TEXT PRIMARY KEY, email TEXT)")
    conn.execute("INSERT OR IGNORE INTO users VALUES (?, ?)", (info["sub"], info["email"]))
    conn.commit()
    conn.close()
    session["user"] = {"email": info["email"], "name": info.get("name")}
    return redirect("/dashboard")


@app.route("/dashboard")
def dashboard():
    if "user" not in session:
        return redirect("/")
    return f"<h1>Welcome {session['user']['name']}</h1><a href='/logout'>Logout</a>"


@app.route("/logout")
def logout():
    session.clear()
    return redirect("/")


if __name__ == "__main__":
    app.run(debug=True)
