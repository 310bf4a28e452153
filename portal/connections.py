"""A pooled PostgreSQL connection is checked before each use, by a round trip only when it
has been idle for a while or its server may have ended it.

SQLAlchemy's `pool_pre_ping` sends a statement on every checkout: for a page, one round
trip of five or six, which the database serves and the request waits for (little of the web
process's own CPU: callgrind counts the same instructions per page without it). Yet a
server that ends a connection (a restart, `pg_terminate_backend`, an idle timeout) says so
on its socket: it sends its last message and closes, and the socket of an idle connection,
which the server otherwise leaves silent, becomes readable. So on checkout:

- idle less than `PING_AFTER_IDLE` and nothing to read: the connection is used at once;
- otherwise it is pinged, and one that fails the ping is replaced by a fresh connection
  before anyone uses it (the pool's DisconnectionError).

The ping after a long idle also covers what a silent socket cannot show, such as a
middlebox that dropped the connection without a word to either side. SQLite has no server
to lose and is never pinged.
"""

import select
import time

import sqlalchemy as sa

PING_AFTER_IDLE = 10.0  # seconds in the pool after which a connection is pinged anyway
IDLE_SINCE = "converge_idle_since"  # ConnectionRecord.info: when it was made or checked in


def check_on_checkout(engine: sa.Engine) -> None:
    """Install the check on `engine`'s pool (PostgreSQL only)."""
    if engine.dialect.name != "postgresql":
        return

    @sa.event.listens_for(engine, "connect")
    @sa.event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection, record) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get(IDLE_SINCE)
        error = engine.dialect.loaded_dbapi.Error
        try:
            if (
                idle_since is not None
                and time.monotonic() - idle_since < PING_AFTER_IDLE
                and not _readable(dbapi_connection.fileno())
            ):
                return
            engine.dialect.do_ping(dbapi_connection)
        except error as exc:
            raise sa.exc.DisconnectionError(f"the server ended the connection: {exc}") from exc


def _readable(fd: int) -> bool:
    """The socket has something to read (or is closed) without waiting."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
