"""The project's User, saved in .db_User.json as the assignment's models do.

Passwords are kept as unsalted SHA-256, as the project's model does.
"""

import hashlib
import json
import os
import uuid

DATA_FILE = ".db_User.json"


def _load():
    if not os.path.exists(DATA_FILE):
        return {}
    with open(DATA_FILE) as f:
        return json.load(f)


class User:
    def __init__(self, id=None, email=None, _password=None):
        self.id = id or str(uuid.uuid4())
        self.email = email
        self._password = _password

    @property
    def password(self):
        return self._password

    @password.setter
    def password(self, pwd):
        self._password = hashlib.sha256(pwd.encode()).hexdigest().lower()

    def is_valid_password(self, pwd):
        if not self._password or not isinstance(pwd, str):
            return False
        return hashlib.sha256(pwd.encode()).hexdigest().lower() == self._password

    def to_json(self):
        return {"id": self.id, "email": self.email}

    def save(self):
        users = _load()
        users[self.id] = {"id": self.id, "email": self.email, "_password": self._password}
        with open(DATA_FILE, "w") as f:
            json.dump(users, f)

    @classmethod
    def search(cls, email):
        return [cls(**u) for u in _load().values() if u["email"] == email]

    @classmethod
    def get(cls, user_id):
        found = _load().get(user_id)
        return cls(**found) if found else None
