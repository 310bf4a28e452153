"""Converge web portal: the application factory."""

import importlib
import os
from pathlib import Path

from flask import Flask

from portal import config as portal_config
from portal import connections, transactions
from portal.extensions import bootstrap, csrf, db, limiter, login_manager, migrate
from portal.logs import configure_logging

ROOT = Path(__file__).resolve().parent.parent

# Each feature package exposes `bp`; registered in this order.
BLUEPRINTS = [
    "portal.main",
    "portal.auth",
    "portal.ideas",
    "portal.campaigns",
    "portal.admin",
    "portal.review",
    "portal.strategy",
    "portal.portfolio",
    "portal.account",
    "portal.api",
    "portal.reports",
    "portal.delivery",
    "portal.transfer",
    "portal.leaders",
    "portal.cli",
    "portal.health",
]


def create_app(config: dict | None = None) -> Flask:
    """Build the portal; `config` (tests) overrides what the environment says."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or str(ROOT / "instance"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    from portal.templating import COMPILED_TEMPLATES, PortalEnvironment

    app.jinja_environment = PortalEnvironment
    app.jinja_options = {**app.jinja_options, "bytecode_cache": COMPILED_TEMPLATES}
    app.config.from_mapping(portal_config.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    # Fit the similar-ideas index in a background thread (not in tests: deterministic).
    app.config.setdefault("SIMILARITY_BACKGROUND", not app.config.get("TESTING"))
    # How often a process looks for newly submitted ideas to add (portal/similarity.py).
    app.config.setdefault("SIMILARITY_RECHECK_SECONDS", 0 if app.config.get("TESTING") else 5)

    configure_logging(app)  # first, so its request clock and id wrap every other hook
    db.init_app(app)
    transactions.init_app(app)  # after db: its teardown sees the session before removal
    with app.app_context():
        connections.check_on_checkout(db.engine)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)

    from portal import models  # noqa: F401  (registers every table with the metadata)
    from portal.auth import sessions
    from portal.auth.login import configure_login
    from portal.auth.sso import init_app as init_sso
    from portal.errors import register_error_handlers
    from portal.forms import IdConverter, refuse_nul_characters
    from portal.mail import init_mail
    from portal.portfolio.runs import init_app as init_runs
    from portal.security import init_security
    from portal.templating import register_template_helpers
    from portal.workflow import init_app as init_workflow

    configure_login(login_manager)
    sessions.register(app)
    init_sso(app)
    init_security(app)
    register_error_handlers(app)
    register_template_helpers(app)
    init_mail(app)
    init_workflow(app)
    init_runs(app)

    app.url_map.converters["id"] = IdConverter  # before the blueprints' routes use it
    app.before_request(refuse_nul_characters)
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)

    if app.config["SIMILARITY_BACKGROUND"]:
        from portal.similarity import warm

        warm(app)
    return app
