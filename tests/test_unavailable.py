"""When the database is full, read-only or unreachable: a 503 page in the site's look (JSON
under /api) that renders without the database; a 500 page that never fails itself; health
checks for load balancers; no request leaves a connection checked out."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from portal import connections, create_app
from portal.errors import database_unavailable
from portal.extensions import db
from portal.models import Department, Idea, Role, SignIn, User, utcnow
from tests.conftest import _PASSWORD_HASH, login, make_app

NOBODY_LISTENS = "postgresql+psycopg://postgres@127.0.0.1:9/converge?connect_timeout=2"


@pytest.fixture
def unreachable(app, tmp_path):
    """An app whose PostgreSQL server is not there (nothing listens on the port)."""
    broken = make_app(NOBODY_LISTENS, tmp_path)

    @broken.route("/boom")
    def boom():
        raise RuntimeError("a bug")

    return broken


SESSION_KEY = "k" * 32  # the read-only database's user holds this session key


def _signed_in(app: Flask, user_id: int = 1, **environ):
    client = app.test_client()
    client.environ_base.update(environ)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{SESSION_KEY}"
        session["sign_in"] = 1  # the read-only database's sign-in
        session["_fresh"] = True
    return client


def _looks_like_the_site(html: str) -> bool:
    return "◆ Converge" in html and "converge.css" in html and "data-error-message" in html


def test_an_unreachable_database_is_a_503_page_in_the_sites_look(unreachable, caplog):
    response = _signed_in(unreachable).get("/ideas/")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "database unavailable: OperationalError: connection failed" in caplog.text
    assert _looks_like_the_site(html) and "database is not available" in html
    assert response.headers["Retry-After"] == "30"
    anonymous = unreachable.test_client().post(
        "/auth/login", data={"email": "a@b.example", "password": "correct horse battery"}
    )
    assert anonymous.status_code == 503


def test_an_unreachable_database_is_json_under_the_api(unreachable):
    client = unreachable.test_client()
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer cvg_" + "x" * 40})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
    assert "database is not available" in response.get_json()["error"]["message"]


def test_the_500_and_404_pages_render_while_the_database_is_gone(unreachable):
    client = _signed_in(unreachable)
    response = client.get("/boom")  # a bug, for a signed-in user, with no database
    assert response.status_code == 500
    assert _looks_like_the_site(response.get_data(as_text=True))
    assert "Something went wrong" in response.get_data(as_text=True)
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and _looks_like_the_site(missing.get_data(as_text=True))


def test_health_needs_nothing_and_readiness_names_the_database(unreachable):
    client = unreachable.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "unavailable"
    assert ready.get_json()["checks"]["database"].startswith("unavailable")


@pytest.fixture
def read_only(tmp_path):
    """An app on a SQLite file opened read-only (`?mode=ro`), with an idea in it."""
    path = tmp_path / "full.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.insert(Department.__table__).values(id=1, name="Finance"))
        connection.execute(
            sa.insert(User.__table__).values(
                id=1,
                email="erin@converge.example",
                name="Erin",
                role=Role.EMPLOYEE,
                department_id=1,
                password_hash=_PASSWORD_HASH,
                session_key=SESSION_KEY,
            )
        )
        connection.execute(
            sa.insert(SignIn.__table__).values(
                id=1, user_id=1, created_at=utcnow(), expires_at=utcnow() + timedelta(days=1)
            )
        )
    engine.dispose()
    app = make_app(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_write_to_a_read_only_database_is_a_503(read_only):
    client = _signed_in(read_only)
    assert client.get("/ideas/").status_code == 200  # reading still works
    response = client.post("/account/tokens", data={"name": "weekly report"})
    assert response.status_code == 503
    assert _looks_like_the_site(response.get_data(as_text=True))


def test_only_unavailability_is_a_503():
    refused = sa.exc.OperationalError("INSERT", {}, Exception("database or disk is full"))
    wrong = sa.exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    assert database_unavailable(refused) and not database_unavailable(wrong)
    assert not database_unavailable(sa.exc.ArgumentError("bad"))


def test_readiness_checks_the_database_and_redis(app):
    client = app.test_client()
    assert client.get("/readyz").get_json() == {"status": "ok", "checks": {"database": "ok"}}
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"  # nothing listens there
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"] == "ok"
    assert ready.get_json()["checks"]["redis"].startswith("unavailable")


def test_health_checks_are_not_rate_limited_and_need_no_sign_in(database_url, tmp_path, app):
    limited = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2/minute")
    client = limited.test_client()
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
    assert "Set-Cookie" not in client.get("/healthz").headers


# ------------------------------------------------------------------- connections


@pytest.fixture
def own_app(database_url, make_idea, employee):
    """On PostgreSQL: (client signed in as the employee, the app's engine, an idea page's
    path), in an app whose requests each check out their connection, as in production."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL: SQLite has no server to lose")
    path = f"/ideas/{make_idea(employee).id}"
    plain = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SERVER_NAME": "converge.example",
            "REDIS_URL": None,
        }
    )
    with plain.app_context():
        engine = db.engine
    client = plain.test_client()
    login(client, employee)
    yield client, engine, path
    engine.dispose()


def test_a_busy_connection_is_pinged_only_after_an_idle_spell(own_app, monkeypatch):
    """A connection used a moment ago, whose socket is quiet, is taken as it is: no
    `SELECT 1` before every request. One idle longer than PING_AFTER_IDLE is pinged."""
    client, engine, path = own_app
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    for _ in range(3):
        assert client.get(path).status_code == 200
    assert pings == []
    monkeypatch.setattr(connections, "PING_AFTER_IDLE", 0.0)
    assert client.get(path).status_code == 200
    assert pings


def test_a_connection_its_server_ended_is_replaced_unseen(own_app, database_url):
    """The database ends the pool's connections (a restart, pg_terminate_backend): the next
    request is still served, on a new connection, because a connection whose server closed
    it is pinged on checkout and replaced (portal/connections.py)."""
    client, engine, path = own_app
    backends = set()
    sa.event.listen(engine, "checkin", lambda c, _r: c and backends.add(c.info.backend_pid))
    assert client.get(path).status_code == 200
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        ended = [conn.scalar(sa.text(f"SELECT pg_terminate_backend({pid})")) for pid in backends]
        alive = sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)")
        for _ in range(100):  # the signal is sent; wait until the server has ended them
            if not conn.scalar(alive, {"pids": list(backends)}):
                break
            time.sleep(0.05)
    admin.dispose()
    assert ended and all(ended)
    for _ in range(3):
        assert client.get(path).status_code == 200


def test_no_request_leaves_a_connection_checked_out(database_url, app, make_idea, employee):
    """Production's requests (no test hooks): each ends its transaction and gives its
    connection back when its app context is torn down, after a page, a write and a bug."""
    idea = make_idea(employee)
    plain = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "converge.example",
            "REDIS_URL": None,
        }
    )

    @plain.route("/boom")
    def boom():
        db.session.execute(sa.select(Idea.id)).all()
        raise RuntimeError("a bug")

    client = plain.test_client()
    login(client, employee)
    with plain.app_context():
        pool = db.engine.pool
    assert client.get(f"/ideas/{idea.id}").status_code == 200
    assert pool.checkedout() == 0
    assert client.post(f"/ideas/{idea.id}/follow").status_code == 302
    assert pool.checkedout() == 0
    assert client.get("/boom").status_code == 500
    assert pool.checkedout() == 0
    with plain.app_context():
        db.engine.dispose()
