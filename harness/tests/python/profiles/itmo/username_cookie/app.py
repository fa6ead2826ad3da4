"""ITMO homework 3 with a home-made cookie: the name itself, unsigned.

The cabinet believes whatever name the `username` cookie says (no HttpOnly,
no SameSite), and registered passwords are kept as unsalted SHA-256.
"""

import hashlib
import json
import os

from flask import Flask, make_response, redirect, render_template, request

app = Flask(__name__)
USERS = {"admin": hashlib.sha256(b"admin-pass-1").hexdigest()}


def known():
    users = dict(USERS)
    if os.path.exists("db.json"):
        with open("db.json") as f:
            users.update(json.load(f))
    return users


@app.route("/", methods=["GET", "POST"])
def index():
    if request.method == "POST":
        digest = hashlib.sha256(request.form["password"].encode()).hexdigest()
        if known().get(request.form["username"]) == digest:
            response = make_response(redirect("/cabinet"))
            response.set_cookie("username", request.form["username"])
            return response
    return render_template("index.html")


@app.route("/cabinet")
def cabinet():
    name = request.cookies.get("username")
    if not name:
        return redirect("/")
    return render_template("cabinet.html", name=name)


@app.route("/register/", methods=["GET", "POST"])
def register():
    if request.method == "POST":
        users = known()
        users[request.form["username"]] = hashlib.sha256(
            request.form["password"].encode()
        ).hexdigest()
        with open("db.json", "w") as f:
            json.dump(users, f)
        return redirect("/")
    return render_template("register.html")


@app.route("/logout")
def logout():
    response = make_response(redirect("/"))
    response.set_cookie("username", "", expires=0)
    return response


if __name__ == "__main__":
    app.run(port=5000)
