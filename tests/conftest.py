"""Shared fixtures: the app on a clean database, clients signed in per role, factories.

The suite runs on SQLite by default and on PostgreSQL when PORTAL_TEST_DATABASE_URL is
set. The schema is created once per session; every test starts with empty tables.
"""

import itertools
import os

import pytest
import sqlalchemy as sa
from flask import g
from werkzeug.security import generate_password_hash

from portal import create_app, workflow
from portal.auth.sessions import session_values
from portal.config import normalize_database_url
from portal.extensions import db
from portal.models import (
    Department,
    Idea,
    IdeaStatus,
    Role,
    StrategicObjective,
    User,
    utcnow,
)

PASSWORD = "correct horse battery"
_PASSWORD_HASH = generate_password_hash(PASSWORD)
_counter = itertools.count(1)
_extra_apps = []  # apps a test built with make_app; their engines are closed after it


def _test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if url:
        return normalize_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database holding the current schema for the whole session."""
    url = _test_database_url(tmp_path_factory)
    engine = sa.create_engine(url)
    db.metadata.drop_all(engine)
    with engine.begin() as conn:  # a migrations test may leave Alembic's table behind
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    db.metadata.create_all(engine)
    engine.dispose()
    return url


def _empty_tables() -> None:
    # DELETE of a few rows is much cheaper than TRUNCATE's per-table cost on PostgreSQL.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def make_app(database_url: str, tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "converge.example",
        "MAIL_SERVER": None,
        "REDIS_URL": None,
    }
    config.update(overrides)
    os.environ.setdefault("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(config)
    _extra_apps.append(app)

    # The test's app context is shared by every client request, and so is `g`:
    # forget the signed-in user between requests so each request loads its own.
    @app.before_request
    def _forget_cached_user():
        g.pop("_login_user", None)
        # Start each request in a fresh transaction, as production does (a read begun
        # by the test itself must not become the request's transaction).
        db.session.rollback()

    # Likewise the session: end each request's transaction as production does when the
    # request's app context is torn down (uncommitted work is discarded, locks released).
    @app.teardown_request
    def _end_transaction(_exc):
        db.session.rollback()

    return app


@pytest.fixture
def app_config():
    """Extra configuration for `app`; override in a test module or with parametrize."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config):
    app = make_app(database_url, tmp_path, **app_config)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.session.remove()
    while _extra_apps:
        with _extra_apps.pop().app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------- factories


@pytest.fixture
def make_department(app):
    def make(name: str | None = None, **fields) -> Department:
        department = Department(name=name or f"Department {next(_counter)}", **fields)
        db.session.add(department)
        db.session.commit()
        return department

    return make


@pytest.fixture
def department(make_department):
    return make_department("Finance", leader_name="Fiona Leader", leader_email="fiona@x.example")


@pytest.fixture
def make_user(app, department):
    def make(role: Role = Role.EMPLOYEE, *, dept: Department | None = None, **fields) -> User:
        n = next(_counter)
        fields.setdefault("email", f"user{n}@converge.example")
        fields.setdefault("name", f"User {n}")
        covers = fields.pop("covers", None)
        user = User(role=role, department=dept or department, **fields)
        user.password_hash = _PASSWORD_HASH
        if covers is not None:
            user.covered_departments = list(covers)
        elif role == Role.BRM:
            user.covered_departments = [dept or department]
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def employee(make_user):
    return make_user(Role.EMPLOYEE, name="Erin Employee", email="erin@converge.example")


@pytest.fixture
def brm(make_user):
    return make_user(Role.BRM, name="Bob Brm", email="bob@converge.example")


@pytest.fixture
def pm(make_user):
    return make_user(Role.PORTFOLIO_MANAGER, name="Pat Portfolio", email="pat@converge.example")


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin", email="ada@converge.example")


@pytest.fixture
def make_objective(app):
    def make(name: str | None = None, weight: float = 1.0, **fields) -> StrategicObjective:
        objective = StrategicObjective(
            name=name or f"Objective {next(_counter)}", weight=weight, **fields
        )
        db.session.add(objective)
        db.session.commit()
        return objective

    return make


@pytest.fixture
def make_idea(app, department):
    """Create an idea; `status` puts it straight into a state (a fixture shortcut)."""

    def make(submitter: User, status: IdeaStatus = IdeaStatus.SUBMITTED, **fields) -> Idea:
        n = next(_counter)
        fields.setdefault("title", f"Idea number {n}")
        fields.setdefault("problem", "Something takes too long.")
        fields.setdefault("proposal", "Automate it.")
        fields.setdefault("expected_benefit", "Hours saved every week.")
        fields.setdefault("department", submitter.department if submitter else department)
        idea = Idea(submitter=submitter, status=status, **fields)
        if status != IdeaStatus.DRAFT:
            idea.submitted_at = idea.submitted_at or utcnow()
        if status in workflow.UNDER_REVIEW:  # as workflow.apply would have dated its wait
            idea.waiting_since = idea.waiting_since or idea.submitted_at
        db.session.add(idea)
        db.session.commit()
        return idea

    return make


# ------------------------------------------------------------------ clients


def login(client, user: User) -> None:
    """Sign `user` in on `client` without going through the form."""
    values = session_values(user)
    db.session.commit()
    with client.session_transaction() as session:
        session.update(values)


@pytest.fixture
def client_for(app):
    """A fresh test client signed in as the given user."""

    def make(user: User):
        client = app.test_client()
        login(client, user)
        return client

    return make


@pytest.fixture
def employee_client(client_for, employee):
    return client_for(employee)


@pytest.fixture
def brm_client(client_for, brm):
    return client_for(brm)


@pytest.fixture
def pm_client(client_for, pm):
    return client_for(pm)


@pytest.fixture
def admin_client(client_for, admin):
    return client_for(admin)


# ------------------------------------------------------------ single sign-on


# The provider's own Authlib server code (in its thread, sharing this process's warning
# filters) calls Authlib APIs now deprecated: not the portal's concern, so not an error.
PROVIDER_WARNINGS = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning:authlib.oidc.core.grants._legacy"
)


@pytest.fixture(scope="session")
def _running_oidc_provider():
    from tests.sso_provider import running_provider

    with running_provider() as provider:
        yield provider


@pytest.fixture
def oidc_provider(_running_oidc_provider):
    """A real OpenID provider on loopback (tests/sso_provider.py), behaving at the start of
    each test."""
    provider = _running_oidc_provider
    provider.misbehave.clear()
    provider.token_requests.clear()
    yield provider
    provider.misbehave.clear()


def sso_config(provider, **settings) -> dict:
    """App configuration signing in through `provider`, as the OIDC_* variables would."""
    return {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": "converge",
        "OIDC_CLIENT_SECRET": "converge-secret",
        "OIDC_PROVIDER_NAME": "Acme ID",
        "OIDC_ROLE_MAP": (
            "converge-admins=admin,converge-pm=portfolio_manager,converge-brm=brm,"
            "converge-leaders=leader"
        ),
        **settings,
    }
