"""Operations never commit: the request, the CLI command or the job does."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db, writing
from portal.mail import OUTBOX
from portal.models import User

PORTAL = Path(__file__).resolve().parent.parent / "portal"

# The modules that own a transaction, and why.
COMMITTERS = {
    # Requests: each route commits once after its operation succeeded.
    *(str(p.relative_to(PORTAL)) for p in PORTAL.glob("*/routes.py")),
    # API views are requests too; `auth` records when a token was last used.
    "api/auth.py",
    "api/estimates.py",
    "api/ideas.py",
    "api/scenarios.py",
    # A remember-me cookie that brings a session back is a sign-in: its new secret is
    # committed while the request loads its user, before the view runs.
    "auth/sessions.py",
    "api/campaigns.py",
    # CLI commands.
    "cli.py",
    # Scenario runs are jobs: they commit their progress as they go, and handing a run
    # to its worker commits it (a worker cannot pick up an uncommitted run).
    "portfolio/runs.py",
    # The reminders job, which RQ's cron scheduler enqueues, is a job like a run.
    "worker.py",
    # The demo loader is a command of its own.
    "demo/__init__.py",
    # A request that only read ends with COMMIT on PostgreSQL (psycopg then keeps its
    # prepared statements); the same to the database as the rollback.
    "transactions.py",
    # A GET entering `writing()` ends its read first (nothing was written: no change).
    "extensions.py",
}
# Rolling back is the error handler's and the form helper's (and the request teardown's).
ROLLERS_BACK = {
    "errors.py",
    "forms.py",
    # A remember-me secret the database refuses to rotate: the old one is kept.
    "auth/sessions.py",
    # Jobs and commands own their transactions.
    "portfolio/runs.py",
    "demo/__init__.py",
    # The backup import answers a refused row with a BackupError and a clean session.
    "transfer/backup.py",
    # The CSV import is all-or-nothing.
    "transfer/ideas_csv.py",
    # A concurrent save of the same estimate version: the flush fails, the conflict is
    # read afresh.
    "review/estimates.py",
}


def _calls(name: str) -> set[str]:
    pattern = re.compile(rf"\.{name}\(")
    return {
        str(path.relative_to(PORTAL))
        for path in PORTAL.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }


def test_only_requests_commands_and_jobs_commit():
    assert _calls("commit") <= COMMITTERS


def test_routes_do_not_roll_back_themselves():
    assert _calls("rollback") <= ROLLERS_BACK


# ------------------------------------------------------------------ how a request ends


@pytest.fixture
def served(app, database_url, tmp_path, employee):
    """An app of its own whose requests each push and tear down their own app context, as
    in production (the `app` fixture keeps one context for the whole test), with routes
    that read, write without committing, change without sending, leave a letter waiting
    and fail. Returns
    (client, ends): `ends` lists the "commit"s and "rollback"s the requests made."""
    served = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": "converge.example",
            "MAIL_SERVER": None,
            "REDIS_URL": None,
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    person = employee.id

    def rename():
        db.session.execute(sa.update(User).where(User.id == person).values(name="Changed"))

    def read():
        return str(db.session.scalar(sa.select(User.name).where(User.id == person)))

    def write_then_savepoint():
        rename()
        with db.session.begin_nested():
            return read()

    def change_unsent():
        db.session.get(User, person).name = "Changed"
        return "changed"

    def fail():
        read()
        raise RuntimeError("boom")

    def letter_waiting():
        db.session.info.setdefault(OUTBOX, []).append("a letter that waits for a commit")
        return read()

    def prepared():
        return str(db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements")))

    def in_transaction():
        read()
        return db.session.connection().connection.dbapi_connection.info.transaction_status.name

    def write_inside_writing():
        read()
        with writing():
            rename()
            db.session.commit()
        return read()

    for rule, view in [
        ("/t/read", read),
        ("/t/write", lambda: (rename(), "written")[1]),
        ("/t/savepoint", write_then_savepoint),
        ("/t/unsent", change_unsent),
        ("/t/fail", fail),
        ("/t/letter", letter_waiting),
        ("/t/prepared", prepared),
        ("/t/status", in_transaction),
        ("/t/writing", write_inside_writing),
    ]:
        served.add_url_rule(rule, rule, view, methods=["GET", "POST"])
    ends = []
    with served.app_context():
        engine = db.engine
    for end in ("commit", "rollback"):
        sa.event.listen(engine, end, lambda _conn, end=end: ends.append(end))
    yield served.test_client(), ends
    engine.dispose()


def _name(employee) -> str:
    db.session.rollback()
    return db.session.get(User, employee.id).name


def test_a_request_that_only_read_commits_on_postgresql(served, database_url):
    client, ends = served
    assert client.post("/t/read").text == "Erin Employee"
    postgresql = database_url.startswith("postgresql")
    assert ends == (["commit"] if postgresql else ["rollback"])


@pytest.mark.parametrize("path", ["/t/write", "/t/savepoint", "/t/unsent", "/t/fail", "/t/letter"])
def test_a_request_that_wrote_changed_or_failed_rolls_back(served, employee, path):
    client, ends = served
    client.post(path)
    assert "commit" not in ends
    assert _name(employee) == "Erin Employee"


def test_a_get_reads_outside_any_transaction_on_postgresql(served, database_url):
    """No BEGIN and no COMMIT for a GET on PostgreSQL: the server sees each statement on
    its own (IDLE after it), while a POST reads inside its transaction (INTRANS)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite keeps the read transaction: the request's snapshot")
    client, _ = served
    assert client.get("/t/status").text == "IDLE"
    assert client.head("/t/status").status_code == 200
    assert client.post("/t/status").text == "INTRANS"


@pytest.mark.parametrize("path", ["/t/write", "/t/savepoint"])
def test_a_get_that_writes_is_refused_before_the_server_sees_it(
    served, database_url, employee, path, caplog
):
    """On PostgreSQL the write of a GET would be committed at once and alone: it is refused
    (a bug, so a 500) before it is sent. SQLite's GET rolls it back with the rest."""
    client, _ = served
    answer = client.get(path)
    assert _name(employee) == "Erin Employee"
    if database_url.startswith("postgresql"):
        assert answer.status_code == 500
        assert "ReadOnlyRequest: UPDATE in a GET request, outside writing()" in caplog.text


def test_a_get_writes_inside_writing(served, employee):
    """The few GETs that must write (single sign-on's callback, a remember-me cookie's new
    secret) do it inside `writing()`, in a transaction of its own."""
    client, ends = served
    assert client.get("/t/writing").text == "Changed"
    assert _name(employee) == "Changed"


@pytest.mark.parametrize("method", ["get", "post"])
def test_prepared_statements_outlive_a_reading_request(served, database_url, method):
    if not database_url.startswith("postgresql"):
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    client, _ = served
    for _ in range(6):  # psycopg prepares a statement the fifth time a connection runs it
        getattr(client, method)("/t/read")
    assert int(getattr(client, method)("/t/prepared").text) >= 1


def test_limit_and_offset_are_written_into_postgresql_statements():
    from sqlalchemy.dialects import postgresql

    from portal.models import Idea

    page = sa.select(Idea.id).order_by(Idea.id).limit(20).offset(40)
    text = str(
        page.compile(dialect=postgresql.dialect(), compile_kwargs={"render_postcompile": True})
    )
    assert re.search(r"LIMIT 20 OFFSET 40", text), text


def test_a_page_statement_is_planned_once_on_postgresql(app, database_url):
    """With LIMIT as a parameter PostgreSQL planned a page's prepared statement anew on every
    run (custom plans only); with LIMIT in the text it settles on its generic plan."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's plan cache")
    from portal.models import Idea

    page = sa.select(Idea.id, Idea.title).where(Idea.submitter_id == 1).order_by(Idea.id.desc())
    for _ in range(15):  # prepared on the 5th run, then 5 custom plans before the choice
        db.session.execute(page.limit(20)).all()
    generic = db.session.scalar(
        sa.text(
            "SELECT generic_plans FROM pg_prepared_statements "
            "WHERE statement LIKE 'SELECT ideas.id, ideas.title%LIMIT 20'"
        )
    )
    db.session.rollback()
    assert generic and generic > 0
