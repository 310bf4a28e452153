"""Extension objects, created unbound and attached to the app in the factory."""

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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


_writing: ContextVar[bool] = ContextVar("converge_sqlite_writing", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside take SQLite's write lock up front, as writing requests do.

    For work outside a request that reads and then writes (the scenario-run jobs): begin the
    transaction inside this block. No effect on PostgreSQL.
    """
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
    instead. Reads (GET) stay deferred; background jobs opt in with `writing()`.
    """
    if connection.dialect.name != "sqlite":
        return
    writes = _writing.get() or (
        has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
    )
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


# ------------------------------------------------------------------ checking connections

# A pooled PostgreSQL connection is pinged on checkout (pool_pre_ping) only when it may
# have died unseen: it sat in the pool longer than this, or its socket has something to
# read (a server that ends a connection, pg_terminate_backend or a restart, says so and
# closes it), or it is not idle. One that came back moments ago to a quiet socket is
# alive; under load that is every checkout, and the ping was a round trip of its own on
# every request.
PING_AFTER_IDLE_SECONDS = 10.0
_RETURNED = "_converge_returned_at"  # attribute of a psycopg connection: when it came back


def _quiet(dbapi_connection) -> bool:
    """The connection is idle and its socket has nothing to read (no goodbye, no EOF)."""
    from psycopg import pq  # PostgreSQL only; psycopg is loaded by then

    try:
        if dbapi_connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        poller = select.poll()
        poller.register(dbapi_connection.pgconn.socket, select.POLLIN | select.POLLPRI)
    except Exception:  # closed, or no poll(): ping
        return False
    return not poller.poll(0)


def check_connections_cheaply(engine: sa.Engine) -> None:
    """Make `engine`'s pre-ping skip the round trip for connections just returned to a
    quiet socket (PostgreSQL only; see PING_AFTER_IDLE_SECONDS)."""
    if engine.dialect.name != "postgresql" or not engine.pool._pre_ping:
        return
    full_ping = engine.dialect.do_ping

    def do_ping(dbapi_connection) -> bool:
        returned = getattr(dbapi_connection, _RETURNED, None)
        if (
            returned is not None
            and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS
            and _quiet(dbapi_connection)
        ):
            return True
        return full_ping(dbapi_connection)

    def note_return(dbapi_connection, _record) -> None:
        if dbapi_connection is not None:
            setattr(dbapi_connection, _RETURNED, time.monotonic())

    engine.dialect.do_ping = do_ping
    sa.event.listen(engine, "checkin", note_return)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address)
