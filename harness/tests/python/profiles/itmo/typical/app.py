"""ITMO homework 3 as it is often handed in: it works, with the usual flaws.

Flask's own session (a signed cookie holding the name), so signing out only
asks the browser to forget it; registered passwords in users.json as typed;
`next` followed wherever it points.
"""

import json
import os

from flask import Flask, redirect, render_template, request, session

app = Flask(__name__)
app.secret_key = os.environ.get("SECRET_KEY", "dev")
USERS = {"admin": "admin-pass-1"}


def load():
    if os.path.exists("users.json"):
        with open("users.json") as f:
            USERS.update(json.load(f))


@app.route("/", methods=["GET", "POST"])
def index():
    load()
    if request.method == "POST":
        if USERS.get(request.form["login"]) == request.form["password"]:
            session["user"] = request.form["login"]
            return redirect(request.args.get("next") or "/cabinet")
        return render_template("index.html", error="Wrong login or password")
    return render_template("index.html", error=None)


@app.route("/cabinet/")
def cabinet():
    if "user" not in session:
        return redirect("/")
    return render_template("cabinet.html", name=session["user"])


@app.route("/register/", methods=["GET", "POST"])
def register():
    load()
    if request.method == "POST":
        USERS[request.form["login"]] = request.form["password"]
        with open("users.json", "w") as f:
            json.dump(USERS, f)
        return redirect("/")
    return render_template("register.html")


@app.route("/logout/")
def logout():
    session.pop("user", None)
    return redirect("/")


app.run(host="0.0.0.0", port=5000, debug=True)
