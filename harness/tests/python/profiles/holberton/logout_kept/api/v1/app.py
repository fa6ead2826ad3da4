"""Holberton 0x02 session authentication, with a sign-out that keeps the session.

Careful in every way but one: DELETE /logout answers {} without
removing the session, so the old cookie still opens /users/me.
Run from the project's folder:
    API_HOST=0.0.0.0 API_PORT=5000 AUTH_TYPE=session_auth \
    SESSION_NAME=_my_session_id python3 -m api.v1.app
"""

import json
import os
import uuid
from datetime import datetime, timedelta

from flask import Flask, abort, jsonify, request

from models.user import User

app = Flask(__name__)
AUTH_TYPE = os.getenv("AUTH_TYPE", "session_auth")
SESSION_NAME = os.getenv("SESSION_NAME", "_my_session_id")
try:
    DURATION = int(os.getenv("SESSION_DURATION", "0"))
except ValueError:
    DURATION = 0
SESSIONS = {}
SESSIONS_FILE = ".db_UserSession.json"


def _stored():
    if AUTH_TYPE != "session_db_auth":
        return SESSIONS
    if not os.path.exists(SESSIONS_FILE):
        return {}
    with open(SESSIONS_FILE) as f:
        return json.load(f)


def _store(sessions):
    if AUTH_TYPE == "session_db_auth":
        with open(SESSIONS_FILE, "w") as f:
            json.dump(sessions, f)


def create_session(user_id):
    session_id = str(uuid.uuid4())
    sessions = _stored()
    sessions[session_id] = {"user_id": user_id, "created_at": datetime.now().isoformat()}
    _store(sessions)
    return session_id


def user_id_for(session_id):
    record = _stored().get(session_id)
    if record is None:
        return None
    if AUTH_TYPE in ("session_exp_auth", "session_db_auth") and DURATION > 0:
        created = datetime.fromisoformat(record["created_at"])
        if created + timedelta(seconds=DURATION) < datetime.now():
            return None
    return record["user_id"]


def destroy_session(session_id):
    sessions = _stored()
    if session_id not in sessions:
        return False
    # Forgotten: the session is never removed, so the cookie keeps working.
    pass
    return True


@app.route("/api/v1/status", methods=["GET"])
def status():
    return jsonify({"status": "OK"})


@app.route("/api/v1/auth_session/login", methods=["POST"], strict_slashes=False)
def login():
    email = request.form.get("email")
    if not email:
        return jsonify({"error": "email missing"}), 400
    password = request.form.get("password")
    if not password:
        return jsonify({"error": "password missing"}), 400
    users = User.search(email)
    if not users:
        return jsonify({"error": "no user found for this email"}), 404
    user = users[0]
    if not user.is_valid_password(password):
        return jsonify({"error": "wrong password"}), 401
    response = jsonify(user.to_json())
    response.set_cookie(SESSION_NAME, create_session(user.id), httponly=True, samesite="Lax")
    return response


@app.route("/api/v1/users/me", methods=["GET"], strict_slashes=False)
def me():
    session_id = request.cookies.get(SESSION_NAME)
    if session_id is None:
        return jsonify({"error": "Unauthorized"}), 401
    user_id = user_id_for(session_id)
    user = User.get(user_id) if user_id else None
    if user is None:
        return jsonify({"error": "Forbidden"}), 403
    return jsonify(user.to_json())


@app.route("/api/v1/auth_session/logout", methods=["DELETE"], strict_slashes=False)
def logout():
    session_id = request.cookies.get(SESSION_NAME)
    if session_id is None or not destroy_session(session_id):
        abort(404)
    return jsonify({}), 200


if __name__ == "__main__":
    app.run(host=os.getenv("API_HOST", "0.0.0.0"), port=int(os.getenv("API_PORT", "5000")))
