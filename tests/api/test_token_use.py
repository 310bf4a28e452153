"""An API call only reads: the token's last use is noted after the response, in its own
short transaction, at most once per interval, and a locked database never fails the call."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.account.service import hash_token
from portal.api.auth import record_token_use
from portal.extensions import db, writing
from portal.models import ApiToken, utcnow


def _last_used():
    db.session.rollback()  # see what other connections committed
    return db.session.scalar(sa.select(ApiToken.last_used_at))


def _get_me(app, secret):
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def secret(token_for, employee):
    return token_for(employee)


def test_the_call_reads_and_the_use_is_noted_after_the_response(app, secret):
    response = _get_me(app, secret)
    assert response.status_code == 200
    assert _last_used() is None  # the request itself wrote nothing
    response.close()
    assert _last_used() is not None


def test_a_call_succeeds_while_another_connection_holds_the_write_lock(app, secret, caplog):
    holder = db.engine.connect()
    with writing():
        transaction = holder.begin()  # SQLite: BEGIN IMMEDIATE, the write lock
    if holder.dialect.name == "postgresql":
        holder.exec_driver_sql("LOCK TABLE api_tokens IN EXCLUSIVE MODE")
    try:
        started = time.monotonic()
        response = _get_me(app, secret)
        assert response.status_code == 200
        response.close()
        assert time.monotonic() - started < 3  # no wait for the lock's usual 15 s
        assert "API token use not recorded" in caplog.text
    finally:
        transaction.rollback()
        holder.close()
    assert _last_used() is None
    _get_me(app, secret).close()  # the next call notes it
    assert _last_used() is not None


def test_at_most_one_write_per_interval(app, secret):
    digest = hash_token(secret)
    assert record_token_use(app, digest) is True
    first = _last_used()
    assert record_token_use(app, digest) is False  # within the interval: no write
    _get_me(app, secret).close()
    assert _last_used() == first
    db.session.execute(sa.update(ApiToken).values(last_used_at=utcnow() - timedelta(seconds=301)))
    db.session.commit()
    assert record_token_use(app, digest) is True  # the interval has passed
    assert _last_used() > first - timedelta(seconds=1)


def test_the_interval_is_configured(app, secret):
    app.config["TOKEN_USE_INTERVAL"] = 0
    digest = hash_token(secret)
    assert record_token_use(app, digest) is True
    assert record_token_use(app, digest) is True


def test_a_token_used_within_the_interval_is_read_once_and_not_noted(app, secret):
    _get_me(app, secret).close()  # noted now
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = _get_me(app, secret)
        assert response.status_code == 200
        response.close()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    tokens = [s for s in statements if "api_tokens" in s]
    assert len(tokens) == 1, tokens  # the token with its user; no note after the response
    assert "JOIN users" in tokens[0]
