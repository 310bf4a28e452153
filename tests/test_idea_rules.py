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
    ("title", "", "Title is required."),
    ("title", "    ", "Title is required."),
    ("title", "abcd", "Title needs at least 5 characters."),
    ("title", "x" * 201, "Title has at most 200 characters; this text has 201."),
    ("problem", "x", None),
    ("problem", "x" * 5000, None),
    ("problem", "", "Problem is required."),
    ("problem", "x" * 5001, "Problem has at most 5,000 characters; this text has 5,001."),
    ("proposal", "", "Proposal is required."),
    ("proposal", "x" * 5001, "Proposal has at most 5,000 characters; this text has 5,001."),
    ("expected_benefit", " ", "Expected benefit is required."),
    (
        "expected_benefit",
        "x" * 5001,
        "Expected benefit has at most 5,000 characters; this text has 5,001.",
    ),  # noqa: E501
]


@pytest.mark.parametrize(("field", "text", "problem"), CASES)
def test_idea_field_rules(field, text, problem):
    found = rules.idea_problems({**GOOD, field: text})
    assert found == ({field: problem} if problem else {})


def test_a_missing_field_is_missing():
    assert rules.idea_problems({}) == {
        "title": "Title is required.",
        "problem": "Problem is required.",
        "proposal": "Proposal is required.",
        "expected_benefit": "Expected benefit is required.",
    }


def test_ideas_service_applies_the_rules(app, employee):
    data = IdeaInput(
        **{**GOOD, "proposal": ""}, department_id=employee.department_id, objective_ids=[]
    )
    with pytest.raises(IdeaError) as refused:
        create_idea(employee, data, submit=True)
    assert (str(refused.value), refused.value.field) == ("Proposal is required.", "proposal")
    # A draft may leave it empty (submitting it checks it, through the workflow's rule).
    assert create_idea(employee, data).proposal == ""


def test_a_draft_needs_only_its_title():
    assert rules.idea_problems({"title": "Park this"}, draft=True) == {}
    assert rules.idea_problems({}, draft=True) == {"title": "Title is required."}
    too_long = rules.idea_problems({"title": "Park this", "problem": "x" * 5001}, draft=True)
    assert too_long == {"problem": "Problem has at most 5,000 characters; this text has 5,001."}
