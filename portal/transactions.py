"""How a request's transaction ends on PostgreSQL: a request that only read commits, and
one that may not write (a GET) runs without a transaction and cannot write.

Flask-SQLAlchemy ends every request by closing its session, which rolls back. For a
transaction that only read, COMMIT and ROLLBACK do the same to the database, but not to
psycopg: on ROLLBACK it forgets every statement it prepared on the connection (an object
they use may have been dropped and made anew), on COMMIT it keeps them. psycopg prepares
a statement the fifth time a connection runs it; kept from request to request, the
statements of the busiest pages are planned once per connection instead of on every
request, which took PostgreSQL's own CPU time per page down by a half to two thirds
(bench/page_cpu.py).

So a request whose transaction ran nothing but SELECTs and whose session holds no unsent
change and no letter waiting for a commit ends with COMMIT. Everything else ends as before:
an error, any other statement (a write, a savepoint, a CTE), an unsent change, a waiting
letter and SQLite all roll back.

A prepared statement is planned once only when PostgreSQL finds its generic plan (made
without the parameters' values) about as cheap as a plan made for the values at hand. With
LIMIT and OFFSET as parameters, a generic plan cannot know that a page wants 20 rows, so the
list pages' statements were planned anew on every run (pg_prepared_statements: custom plans
only), about 0.5 ms of the server's CPU per page. LIMIT and OFFSET are therefore written into
the statement's text on PostgreSQL: one prepared statement per page size and offset.

A GET (HEAD, OPTIONS) runs its statements on an AUTOCOMMIT connection (`Session` in
portal/extensions.py): no BEGIN, no COMMIT, no ROLLBACK, so psycopg keeps its prepared
statements too. A statement that would write on such a connection is refused before it
reaches the server (`ReadOnlyRequest`): committed at once and alone, it could not be undone
with the rest of its work. A GET that must write does so inside `writing()`.
"""

from contextlib import suppress

import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import _OffsetLimitParam

from portal.extensions import READS_ONLY, db, mark_reads_only
from portal.mail import OUTBOX

CONNECTION = "converge_read_connection"  # Session.info: the transaction's connection
WROTE = "converge_wrote"  # Connection.info: a statement other than SELECT ran
WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "ALTER", "DROP", "TRUNCATE", "COPY")


class ReadOnlyRequest(RuntimeError):
    """A statement that writes, sent by a request that may not write (a bug: see
    `portal.extensions.writing`)."""


@compiles(_OffsetLimitParam, "postgresql")
def _limit_in_text(element, compiler, **kw) -> str:
    """LIMIT and OFFSET values in the statement's text on PostgreSQL (module docstring):
    rendered when the statement runs, so SQLAlchemy still compiles it once."""
    kw["literal_execute"] = True
    return compiler.visit_bindparam(element, **kw)


@sa.event.listens_for(Session, "after_begin")
def _note_connection(session, transaction, connection) -> None:
    """A session's outermost transaction took a connection: nothing written on it yet."""
    if connection.dialect.name == "postgresql" and transaction.parent is None:
        session.info[CONNECTION] = connection
        connection.info[WROTE] = False


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_connection(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(CONNECTION, None)


@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _note_write(connection, cursor, statement, parameters, context, executemany) -> None:
    if connection.dialect.name != "postgresql":
        return
    first = statement.lstrip()[:8].upper()
    if first.startswith("SELECT"):
        return
    connection.info[WROTE] = True
    if connection.get_execution_options().get(READS_ONLY) and first.startswith(WRITES):
        raise ReadOnlyRequest(
            f"{first.split()[0]} in a {request.method} request, outside writing()"
        )


def _commit_if_only_read(exc: BaseException | None) -> None:
    """`teardown_appcontext`, before the session is removed: COMMIT a transaction that
    only read (see the module's docstring); leave everything else to the rollback."""
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    connection = session.info.get(CONNECTION)
    transaction = session.get_transaction()
    if connection is None or transaction is None or not transaction.is_active:
        return
    if connection.get_execution_options().get(READS_ONLY):
        return  # an AUTOCOMMIT connection has nothing to commit, and a commit expires every object

    if connection.info.get(WROTE, True) or session.new or session.dirty or session.deleted:
        return
    if session.info.get(OUTBOX):  # letters wait for a commit this request did not make
        return
    with suppress(SQLAlchemyError):  # the session's removal rolls back, as after any request
        session.commit()


def init_app(app: Flask) -> None:
    """Call after `db.init_app(app)`: teardowns run last registered first, so this one sees
    the session before Flask-SQLAlchemy removes it."""
    app.teardown_appcontext(_commit_if_only_read)
    app.before_request(mark_reads_only)
