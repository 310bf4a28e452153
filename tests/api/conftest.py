"""API fixtures: personal tokens and test clients that send them."""

import sys
import types

import pytest

from portal.account.service import create_token
from portal.extensions import db
from portal.models import User


@pytest.fixture
def token_for(app):
    """Create an API token for a user and return its secret."""

    def make(user: User, name: str = "test script") -> str:
        created = create_token(user, name)
        db.session.commit()
        return created.secret

    return make


@pytest.fixture
def api_for(app, token_for):
    """A test client that sends a fresh token of `user` on every request (no session)."""

    def make(user: User):
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(user)}"
        return client

    return make


@pytest.fixture
def employee_api(api_for, employee):
    return api_for(employee)


@pytest.fixture
def brm_api(api_for, brm):
    return api_for(brm)


@pytest.fixture
def pm_api(api_for, pm):
    return api_for(pm)


def error_of(response) -> dict:
    """The API error body, checking its shape on the way."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"], body
    return body["error"]


@pytest.fixture
def fake_runner(monkeypatch):
    """Stand-ins for `portal.portfolio.problem` and `portal.jobs` until those branches merge.

    `build_problem` freezes the scenario's periods and budget; `start_run` records the runs
    it was asked to start. Remove once the real modules exist (the API imports them lazily).
    """
    started = []
    problem_module = types.ModuleType("portal.portfolio.problem")
    jobs_module = types.ModuleType("portal.jobs")

    def build_problem(scenario):
        if not scenario.periods:
            raise ValueError("the scenario has no periods")
        return {
            "schema": "converge.problem/1",
            "periods": list(scenario.periods),
            "budget": dict(scenario.budget),
            "candidates": [],
        }

    problem_module.build_problem = build_problem
    jobs_module.start_run = started.append
    monkeypatch.setitem(sys.modules, "portal.portfolio", types.ModuleType("portal.portfolio"))
    monkeypatch.setitem(sys.modules, "portal.portfolio.problem", problem_module)
    monkeypatch.setitem(sys.modules, "portal.jobs", jobs_module)
    return started
