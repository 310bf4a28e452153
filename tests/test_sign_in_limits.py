"""Sign-in limits: per account and per address, shared through Redis, behind proxies; the
429 page."""

import os
import time

import pytest
import sqlalchemy as sa
from flask import request

from portal.config import from_environment
from portal.errors import in_words
from portal.extensions import db, limiter
from portal.models import AuditEvent
from tests.conftest import PASSWORD, make_app

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL")


def limited_app(database_url, tmp_path, **config):
    config.setdefault("LOGIN_LIMIT_PER_ACCOUNT", "3 per minute")
    config.setdefault("LOGIN_LIMIT_PER_ADDRESS", "100 per minute")
    return make_app(database_url, tmp_path, RATELIMIT_ENABLED=True, **config)


def attempt(client, email, password="wrong password", address="127.0.0.1", **kwargs):
    return client.post(
        "/auth/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def test_account_limit_holds_across_addresses(database_url, tmp_path, employee):
    client = limited_app(database_url, tmp_path).test_client()
    codes = [
        attempt(client, employee.email, address=f"198.51.100.{n}").status_code for n in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    # Even the right password waits: the guesser cannot tell when they found it.
    assert attempt(client, employee.email, PASSWORD, address="203.0.113.7").status_code == 429
    # Another account from the same addresses is not held back.
    assert attempt(client, "someone.else@x.example", address="198.51.100.1").status_code == 401


def test_address_limit_holds_across_accounts(database_url, tmp_path):
    app = limited_app(
        database_url, tmp_path, LOGIN_LIMIT_PER_ACCOUNT="100 per minute",
        LOGIN_LIMIT_PER_ADDRESS="3 per minute",
    )  # fmt: skip
    client = app.test_client()
    codes = [attempt(client, f"guess{n}@x.example").status_code for n in range(4)]
    assert codes == [401, 401, 401, 429]
    assert attempt(client, "guess9@x.example", address="192.0.2.50").status_code == 401


def test_successful_sign_ins_do_not_count(database_url, tmp_path, employee):
    client = limited_app(database_url, tmp_path).test_client()
    for _ in range(5):
        assert attempt(client, employee.email, PASSWORD).status_code == 302
        client.post("/auth/logout")
    assert attempt(client, employee.email).status_code == 401


def test_longer_windows_make_the_wait_longer(database_url, tmp_path, employee):
    app = limited_app(database_url, tmp_path, LOGIN_LIMIT_PER_ACCOUNT="2 per 2 seconds; 3 per hour")
    client = app.test_client()
    assert [attempt(client, employee.email).status_code for _ in range(3)] == [401, 401, 429]
    assert 0 < int(attempt(client, employee.email).headers["Retry-After"]) <= 2
    time.sleep(2.1)  # the short window has passed; the hour remembers
    assert attempt(client, employee.email).status_code == 401
    refused = attempt(client, employee.email)
    assert refused.status_code == 429
    assert 60 < int(refused.headers["Retry-After"]) <= 3600
    assert "Please wait 1 hour" in refused.get_data(as_text=True)


def test_the_429_page_says_when_to_retry(database_url, tmp_path, employee):
    client = limited_app(database_url, tmp_path).test_client()
    for _ in range(3):
        attempt(client, employee.email)
    refused = attempt(client, employee.email)
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 60
    page = refused.get_data(as_text=True)
    assert "Too many attempts. Please wait" in page
    assert "second" in page or "1 minute" in page
    assert "data-retry-after" in page
    assert "navbar" in page and "Converge" in page  # the site's own page, not a bare error
    assert "per 1 minute" not in page


def test_the_429_answer_is_json_for_api_clients(database_url, tmp_path, employee):
    client = limited_app(database_url, tmp_path).test_client()
    for _ in range(3):
        attempt(client, employee.email)
    refused = attempt(client, employee.email, headers={"Accept": "application/json"})
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "too_many_requests"
    assert "Retry-After" in refused.headers


def test_a_lockout_is_audited_once(database_url, tmp_path, employee):
    app = limited_app(database_url, tmp_path)
    client = app.test_client()
    for _ in range(6):
        attempt(client, employee.email)
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "sign_in_locked_out")
        ).all()
        assert len(events) == 1
        assert events[0].object_id == employee.id
        assert events[0].after["limit"] == "3 per 1 minute"
        failed = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "sign_in_failed")
        )
        assert failed == 3


def _whoami_app(database_url, tmp_path, hops):
    app = limited_app(database_url, tmp_path, PROXY_HOPS=hops)
    app.add_url_rule("/_whoami", "whoami", lambda: request.remote_addr)
    return app


def test_proxy_hops_one_takes_the_client_from_x_forwarded_for(database_url, tmp_path):
    client = _whoami_app(database_url, tmp_path, 1).test_client()
    response = client.get(
        "/_whoami",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert response.get_data(as_text=True) == "203.0.113.9"


def test_proxy_hops_zero_ignores_x_forwarded_for(database_url, tmp_path):
    client = _whoami_app(database_url, tmp_path, 0).test_client()
    response = client.get(
        "/_whoami",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert response.get_data(as_text=True) == "10.0.0.2"


@pytest.mark.parametrize(("hops", "second_office_refused"), [(1, False), (0, True)])
def test_behind_a_proxy_each_client_has_its_own_address_limit(
    database_url, tmp_path, hops, second_office_refused
):
    app = limited_app(
        database_url, tmp_path, PROXY_HOPS=hops, LOGIN_LIMIT_PER_ACCOUNT="100 per minute",
        LOGIN_LIMIT_PER_ADDRESS="2 per minute",
    )  # fmt: skip
    client = app.test_client()

    def via_proxy(email, client_address):
        return attempt(
            client, email, address="10.0.0.2", headers={"X-Forwarded-For": client_address}
        )

    assert [via_proxy(f"a{n}@x.example", "203.0.113.1").status_code for n in range(3)] == [
        401, 401, 429,
    ]  # fmt: skip
    refused = via_proxy("b@x.example", "203.0.113.2").status_code == 429
    assert refused == second_office_refused


def test_limits_use_redis_when_there_is_one(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/3")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert (
        from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "redis://cache.example:6379/3"
    )
    monkeypatch.delenv("REDIS_URL")
    assert from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "memory://"


def _two_workers(database_url, tmp_path, storage, employee):
    """Three failures on one app instance, the fourth on another: the fourth's status."""
    first = limited_app(database_url, tmp_path, RATELIMIT_STORAGE_URI=storage)
    with first.app_context():
        limiter.reset()
    client = first.test_client()
    assert [attempt(client, employee.email).status_code for _ in range(3)] == [401] * 3
    second = limited_app(database_url, tmp_path, RATELIMIT_STORAGE_URI=storage)
    return attempt(second.test_client(), employee.email).status_code


@pytest.mark.skipif(not REDIS_URL, reason="PORTAL_TEST_REDIS_URL is not set")
def test_two_instances_sharing_redis_share_the_count(database_url, tmp_path, employee):
    assert _two_workers(database_url, tmp_path, REDIS_URL, employee) == 429


def test_two_instances_in_memory_count_apart(database_url, tmp_path, employee):
    # Why Redis is needed: without it every worker keeps its own count.
    assert _two_workers(database_url, tmp_path, "memory://", employee) == 401


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (59, "59 seconds"), (60, "1 minute"), (61, "2 minutes"),
     (3540, "59 minutes"), (3597, "1 hour"), (7200, "2 hours")],
)  # fmt: skip
def test_waits_are_said_in_words_rounded_up(seconds, words):
    assert in_words(seconds) == words


def test_sign_in_still_works_and_is_limited_when_redis_is_down(database_url, tmp_path, employee):
    app = limited_app(database_url, tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = app.test_client()
    codes = [attempt(client, employee.email).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]  # counted in memory meanwhile
    assert attempt(client, "other@x.example", PASSWORD).status_code == 401
