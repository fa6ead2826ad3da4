"""Stock Flask serving STATIC_DIR under /static/, and nothing else of a step.

The kit's test `other_languages` grades it at step 01 and expects the static
checks (s01.static-files, s01.static-missing, s01.static-traversal) to pass:
Werkzeug answers `/static//tmp/...` (what `%2F` decodes to) with a 308 to
the merged path, and the grader follows that redirect while it stays under
`/static/`. Run: HOST=127.0.0.1 PORT=5000 STATIC_DIR=fixtures/static python3 flask_static.py
"""

import os

from flask import Flask

app = Flask(
    __name__,
    static_folder=os.path.abspath(os.environ.get("STATIC_DIR") or "fixtures/static"),
    static_url_path="/static",
)


@app.get("/")
def home():
    return "<!doctype html><title>Flask static</title><p>Only static files here.</p>"


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST") or "127.0.0.1", port=int(os.environ.get("PORT") or 5000))
