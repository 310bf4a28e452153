"""The idea field rules, written once and applied by the form, the API, the CSV import and
the ideas service alike."""

import pytest

from portal.ideas import rules
from portal.ideas.service import IdeaError, IdeaInput, create_idea

GOOD = {
    "title": "Self-service travel expenses",
    "problem": "Claims are typed twice.",
    "proposal": "A form that feeds the ledger.",
    "expected_benefit": "A day a month saved.",
}

# (field, text, problem or None): every rule at and past its limits.
CASES = [
    ("title", "Five!", None),
    ("title", "x" * 200, None),
    ("title", "", "missing title"),
    ("title", "    ", "missing title"),
    ("title", "abcd", "title too short (at least 5 characters)"),
    ("title", "x" * 201, "title too long (201 characters, at most 200)"),
    ("problem", "x", None),
    ("problem", "x" * 5000, None),
    ("problem", "", "missing problem"),
    ("problem", "x" * 5001, "problem too long (5001 characters, at most 5000)"),
    ("proposal", "", "missing proposal"),
    ("proposal", "x" * 5001, "proposal too long (5001 characters, at most 5000)"),
    ("expected_benefit", " ", "missing expected_benefit"),
    ("expected_benefit", "x" * 5001, "expected_benefit too long (5001 characters, at most 5000)"),
]


@pytest.mark.parametrize(("field", "text", "problem"), CASES)
def test_idea_field_rules(field, text, problem):
    found = rules.idea_problems({**GOOD, field: text})
    assert found == ({field: problem} if problem else {})


def test_a_missing_field_is_missing():
    assert rules.idea_problems({}) == {
        "title": "missing title",
        "problem": "missing problem",
        "proposal": "missing proposal",
        "expected_benefit": "missing expected_benefit",
    }


def test_ideas_service_applies_the_rules(app, employee):
    data = IdeaInput(
        **{**GOOD, "proposal": ""}, department_id=employee.department_id, objective_ids=[]
    )
    with pytest.raises(IdeaError) as refused:
        create_idea(employee, data, submit=True)
    assert (str(refused.value), refused.value.field) == ("Missing proposal.", "proposal")
    # A draft may leave it empty (submitting it checks it, through the workflow's rule).
    assert create_idea(employee, data).proposal == ""


def test_a_draft_needs_only_its_title():
    assert rules.idea_problems({"title": "Park this"}, draft=True) == {}
    assert rules.idea_problems({}, draft=True) == {"title": "missing title"}
    too_long = rules.idea_problems({"title": "Park this", "problem": "x" * 5001}, draft=True)
    assert too_long == {"problem": "problem too long (5001 characters, at most 5000)"}
