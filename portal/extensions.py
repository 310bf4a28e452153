"""Extension objects, created unbound and attached to the app in the factory."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import flask_sqlalchemy.session
import sqlalchemy as sa
from flask import has_request_context, request
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names make Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__ == "sqlite3"


@sa.event.listens_for(sa.engine.Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    """Foreign keys on, WAL journal, and transactions begun by SQLAlchemy, not the driver."""
    if not _is_sqlite(dbapi_connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


_writing: ContextVar[bool] = ContextVar("converge_writing", default=False)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # requests that only read
READS_ONLY = "converge_reads_only"  # execution option of the connections such requests use


def mark_reads_only() -> None:
    """`before_request`, before any hook that reads: a request of a safe method may only
    read. (A request context made by hand, as in tests and commands, is not marked.)"""
    if request.method in SAFE_METHODS:
        request.environ[READS_ONLY] = True


def reads_only() -> bool:
    """True in a request that may not write: a safe method, outside a `writing()` block."""
    return not _writing.get() and has_request_context() and READS_ONLY in request.environ


@contextmanager
def writing() -> Iterator[None]:
    """What runs inside may write: transactions begun inside take SQLite's write lock up
    front, as writing requests do, and are real transactions on PostgreSQL.

    For work outside a request that reads and then writes (the scenario-run jobs), and for
    the few GETs that must write (single sign-on's callback, a remember-me cookie's
    rotation): begin the transaction inside this block. In such a GET, entering the block
    ends the request's read, so that the next statement begins a transaction that may write.
    """
    if reads_only() and db.session.registry.has() and db.session().in_transaction():
        db.session.commit()
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@sa.event.listens_for(sa.engine.Engine, "begin")
def _begin_sqlite(connection):
    """Requests that may write take SQLite's write lock up front.

    A deferred SQLite transaction that reads and then writes fails at once with
    "database is locked" when another writer got there first (in WAL mode also when
    anyone committed since it read); BEGIN IMMEDIATE makes the second writer wait its turn
    instead. Reads (GET) stay deferred, a snapshot for the whole request; background jobs
    opt in with `writing()`.
    """
    if connection.dialect.name != "sqlite":
        return
    writes = _writing.get() or (has_request_context() and request.method not in SAFE_METHODS)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


class Session(flask_sqlalchemy.session.Session):
    """The session of every request and command, with one change: on PostgreSQL a request
    that only reads (`reads_only`) runs its statements outside a transaction.

    At PostgreSQL's READ COMMITTED each statement reads its own snapshot, in a transaction
    or not, so a read-only request's BEGIN and COMMIT bought nothing but two of its five or
    six round trips to the server. Its connection is an AUTOCOMMIT one, marked READS_ONLY:
    a statement that writes on it is refused (portal/transactions.py), since it would be
    committed at once, alone. SQLite keeps its transaction: there it is the request's
    snapshot, and costs no round trip. A statement read in batches keeps its transaction.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper, clause, bind, **kwargs)
        if (
            bind is None
            and engine.dialect.name == "postgresql"
            and reads_only()
            and not _streams(clause)
        ):
            return _statement_by_statement(engine)
        return engine


def _streams(clause) -> bool:
    """A statement read in batches (`yield_per`, the exports): its server-side cursor lives
    only in a transaction, so it keeps one, on a connection of its own."""
    options = clause.get_execution_options() if hasattr(clause, "get_execution_options") else {}
    return "yield_per" in options or bool(options.get("stream_results"))


def _statement_by_statement(engine: sa.Engine) -> sa.Engine:
    """`engine` with AUTOCOMMIT connections from the same pool, made once per engine."""
    made = engine.__dict__.get(READS_ONLY)
    if made is None:
        made = engine.execution_options(isolation_level="AUTOCOMMIT", **{READS_ONLY: True})
        engine.__dict__[READS_ONLY] = made
    return made


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address)
