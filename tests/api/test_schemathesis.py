"""Property-based tests of the whole API against its own OpenAPI document (schemathesis).

Every operation is called with generated input by a portfolio manager (who may use every
operation); no answer may be a 500, and every answer must match the documented status
codes, content type and response schema.

(schemathesis's lazy pytest loader, `from_fixture`, fails under pytest 9, so the test
walks the operations itself and runs each one's Hypothesis strategy.)
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.models import IdeaStatus

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25


def _examples(operation, headers: dict, statuses: set[int]):
    """A Hypothesis test calling `operation` with generated input and checking each answer."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses.add(response.status_code)

    return call


@pytest.mark.slow
def test_api_conforms_to_its_document(
    app, pm, employee, make_idea, make_objective, token_for, make_candidate, make_scenario
):
    # Some data to find, so that reads succeed as well as fail; a candidate so runs solve.
    objective = make_objective("Grow revenue")
    make_idea(employee, status=IdeaStatus.IN_REVIEW, objectives=[objective])
    make_idea(pm, status=IdeaStatus.DRAFT)
    make_candidate(3, 100.0)
    make_scenario(time_limit=5)
    headers = {"Authorization": f"Bearer {token_for(pm)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    failures = {}
    statuses: dict[str, set[int]] = {}
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            _examples(operation, headers, statuses.setdefault(operation.label, set()))()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = exc
        tested.append(operation.label)

    assert len(tested) >= 18, tested
    # The token works: generated calls got through to real answers, not only 401s.
    assert 200 in statuses["GET /api/v1/me"] and 200 in statuses["GET /api/v1/ideas"]
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())
