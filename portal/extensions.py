"""Extension objects, created unbound and attached to the app in the factory."""

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


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address)
