"""Property-based tests of the whole API against its own OpenAPI document (schemathesis).

Every operation is called with generated input by each role with a token (a portfolio
manager may use every operation; the others meet the refusals); no answer may be a 500, and
every answer must match the documented status codes, content type and response schema.

(schemathesis's lazy pytest loader, `from_fixture`, fails under pytest 9, so the test
walks the operations itself and runs each one's Hypothesis strategy.)
"""

from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.extensions import db
from portal.models import Campaign, IdeaStatus, Role, utcnow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# The portfolio manager reaches every operation's work; the other roles mostly its refusals.
EXAMPLES_PER_OPERATION = {
    Role.PORTFOLIO_MANAGER: 25,
    Role.EMPLOYEE: 10,
    Role.BRM: 10,
    Role.ADMIN: 8,
}


def _examples(operation, headers: dict, statuses: set[int], examples: int):
    """A Hypothesis test calling `operation` with generated input and checking each answer."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses.add(response.status_code)

    return call


@pytest.mark.slow
@pytest.mark.parametrize("role", list(EXAMPLES_PER_OPERATION))
def test_api_conforms_to_its_document(
    app,
    role,
    pm,
    employee,
    brm,
    admin,
    make_idea,
    make_objective,
    token_for,
    make_candidate,
    make_scenario,
):
    # Some data to find, so that reads succeed as well as fail; a candidate so runs solve.
    objective = make_objective("Grow revenue")
    make_idea(employee, status=IdeaStatus.IN_REVIEW, objectives=[objective])
    make_idea(pm, status=IdeaStatus.DRAFT)
    make_candidate(3, 100.0)
    make_scenario(time_limit=5)
    campaign = Campaign(
        title="Faster payments", question="How?", sponsor=pm, opens_on=date.today(),
        closes_on=date.today() + timedelta(days=9), published_at=utcnow(),
    )  # fmt: skip
    db.session.add(campaign)
    db.session.commit()
    caller = {Role.PORTFOLIO_MANAGER: pm, Role.EMPLOYEE: employee, Role.BRM: brm, Role.ADMIN: admin}
    headers = {"Authorization": f"Bearer {token_for(caller[role])}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    failures = {}
    statuses: dict[str, set[int]] = {}
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            statuses_of = statuses.setdefault(operation.label, set())
            _examples(operation, headers, statuses_of, EXAMPLES_PER_OPERATION[role])()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = exc
        tested.append(operation.label)

    assert len(tested) >= 18, tested
    # The token works: generated calls got through to real answers, not only 401s.
    assert 200 in statuses["GET /api/v1/me"] and 200 in statuses["GET /api/v1/ideas"]
    assert 200 in statuses["GET /api/v1/campaigns"]
    assert {label for label in tested if "/campaigns" in label} == {
        "GET /api/v1/campaigns",
        "POST /api/v1/campaigns",
        "GET /api/v1/campaigns/{campaign_id}",
        "GET /api/v1/campaigns/{campaign_id}/ideas",
    }
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())
