"""API fixtures: personal tokens and test clients that send them; real (inline) runs."""

import pytest

from portal.account.service import create_token
from portal.extensions import db
from portal.models import User

# The portfolio factories (pools, estimates, candidates), shared with the portfolio tests.
from tests.portfolio.conftest import (  # noqa: F401
    make_candidate,
    make_estimate,
    make_pool,
    make_scenario,
    objective,
)


@pytest.fixture
def app_config():
    """Runs solve inside the request (as in tests/portfolio), with a small analysis."""
    return {
        "RUNS_INLINE": True,
        "PORTFOLIO_FRONTIER_POINTS": 3,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 4,
        "PORTFOLIO_EXPLAIN_SECONDS": 10,
    }


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
