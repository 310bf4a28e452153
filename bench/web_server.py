"""WSGI entry point for the web benchmarks: the portal, with a bare Flask hello beside it.

`gunicorn --chdir bench web_server:app` serves the portal as `wsgi:app` would (settings from
the environment), with two changes for a load test from one address: rate limits are off
(fifty sign-ins from 127.0.0.1 in a second are the test, not an attack), and `/bare/` is a
bare Flask "hello" in the same worker processes, the yardstick the portal's pages are
measured against. `python bench/web_server.py PORT` serves the same on the threaded
development server (bench/load.py does, for SQLite). BENCH_APP_ROOT names the checkout to
serve (default: this one), so the same benchmark can time the code before and after a change.
"""

import os
import sys
from pathlib import Path

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

sys.path.insert(0, os.environ.get("BENCH_APP_ROOT") or str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402

hello = Flask("hello")


@hello.get("/")
def say_hello() -> str:
    """The least a Flask request can cost."""
    return "Hello, World!"


portal = create_app({"RATELIMIT_ENABLED": False})
app = DispatcherMiddleware(portal, {"/bare": hello})


if __name__ == "__main__":
    from werkzeug.serving import run_simple

    run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True)
