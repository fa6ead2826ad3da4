"""ITMO homework 3, done carefully: every level, and nothing a thief can use.

Sessions are JSON files in sessions/, named by a random id that is the only
thing in the cookie (HttpOnly, SameSite=Lax), made new at every sign-in and
deleted at sign-out. Registered passwords are kept as werkzeug's salted hash.
"""

import json
import os
import secrets

from flask import Flask, redirect, render_template, request
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__)
HERE = os.path.dirname(os.path.abspath(__file__))
SESSIONS = os.path.join(HERE, "sessions")
USERS_FILE = os.path.join(HERE, "users.json")
# The assignment's hard-coded users (their passwords as salted hashes).
HARD_CODED = {"admin": generate_password_hash("admin-pass-1")}


def users():
    known = dict(HARD_CODED)
    if os.path.exists(USERS_FILE):
        with open(USERS_FILE) as f:
            known.update(json.load(f))
    return known


def current_user():
    sid = request.cookies.get("sid", "")
    if not sid.isalnum():
        return None
    path = os.path.join(SESSIONS, sid + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["username"]


def safe_next(target):
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/cabinet"


@app.route("/", methods=["GET", "POST"])
def index():
    error = None
    if request.method == "POST":
        name = request.form.get("username", "")
        password = request.form.get("password", "")
        hashed = users().get(name)
        if hashed and check_password_hash(hashed, password):
            os.makedirs(SESSIONS, exist_ok=True)
            sid = secrets.token_hex(32)
            with open(os.path.join(SESSIONS, sid + ".json"), "w") as f:
                json.dump({"username": name}, f)
            response = redirect(safe_next(request.args.get("next")))
            response.set_cookie("sid", sid, httponly=True, samesite="Lax")
            return response
        error = "Wrong username or password"
    return render_template("index.html", error=error)


@app.route("/cabinet")
def cabinet():
    name = current_user()
    if name is None:
        return redirect("/")
    return render_template("cabinet.html", name=name)


@app.route("/register/", methods=["GET", "POST"])
def register():
    if request.method == "POST":
        name = request.form["username"]
        known = users()
        if name in known:
            return render_template("register.html", error="Taken"), 409
        stored = {k: v for k, v in known.items() if k not in HARD_CODED}
        stored[name] = generate_password_hash(request.form["password"])
        with open(USERS_FILE, "w") as f:
            json.dump(stored, f)
        return redirect("/")
    return render_template("register.html", error=None)


@app.route("/logout")
def logout():
    sid = request.cookies.get("sid", "")
    path = os.path.join(SESSIONS, sid + ".json")
    if sid.isalnum() and os.path.exists(path):
        os.remove(path)
    response = redirect("/")
    response.delete_cookie("sid")
    return response


if __name__ == "__main__":
    app.run(debug=True)
