"""What the optimizer offers its callers besides `solve`: start shifts, limit rows worded for
people, the MPS file, and the statuses that come with a portfolio."""

from __future__ import annotations

import optimizer
from optimizer.model import allowed_shifts

from .conftest import cand, make_problem


def test_start_shifts_keep_the_profile_within_the_periods():
    periods = ["2027", "2028", "2029"]
    assert optimizer.start_shifts({"2027": 5.0}, {}, 5, periods) == [0, 1, 2]
    assert optimizer.start_shifts({"2028": 5.0}, {"Eng": {"2027": 1.0}}, 5, periods) == [0, 1]
    assert optimizer.start_shifts({"2029": 0.0, "2027": 1.0}, {}, 2, periods) == [0, 1, 2]
    assert optimizer.start_shifts({"2027": 5.0}, {}, 0, periods) == [0]
    assert optimizer.start_shifts({}, {}, 2, periods) == [0]


def test_start_shifts_agree_with_the_model_on_candidates():
    doc = make_problem(
        [
            cand("A", 1.0, {"2027": 2.0}, may_start_later_by=2),
            cand("B", 1.0, {"2028": 2.0}, effort={"Eng": {"2029": 1.0}}, may_start_later_by=1),
            cand("C", 1.0, {}, may_start_later_by=1),
        ],
        capacity={"Eng": {"2027": 5.0, "2028": 5.0, "2029": 5.0}},
    )
    problem = optimizer.Problem.from_dict(doc)
    for c, data in zip(problem.candidates, doc["candidates"], strict=True):
        assert allowed_shifts(c, problem.periods) == optimizer.start_shifts(
            data["cost"], data.get("effort", {}), data.get("may_start_later_by"), doc["periods"]
        )


def test_limits_word_the_rows_and_say_why_left_out_ideas_do_not_fit():
    doc = make_problem(
        [cand("A", 10.0, {"2027": 6.0}), cand("B", 4.0, {"2027": 5.0}), cand("C", 1, {"2027": 20})],
        budget={"2027": 10.0},
    )
    result = optimizer.solve(doc, backend="highs").to_dict()
    assert result["status"] in optimizer.SOLVED
    out = [e for e in result["explanations"] if not e.get("selected")]
    rows, blocked = optimizer.limits(doc, result, out)
    (budget,) = [r for r in rows if r["kind"] == "budget"]
    assert (
        budget["limiting"] and "less than the 5 the cheapest idea left out needs" in budget["text"]
    )
    assert blocked["B"] == "Does not fit: it needs 5 of the 2027 budget (4 left)."
    assert blocked["C"].startswith("On its own it costs 20 in 2027, more than the whole")
    assert result["binding"][0].get("limiting") is None  # the result itself is left alone


def test_model_mps_is_the_model_the_solver_receives():
    doc = make_problem([cand("A", 1.0, {"2027": 2.0})], budget={"2027": 3.0})
    text = optimizer.model_mps(optimizer.Problem.from_dict(doc)).decode()
    assert "ROWS" in text and "COLUMNS" in text
    assert "ENDATA" in text


def test_explain_in_parts_gives_what_solve_gives_in_one():
    """Explanations split by candidate (as the portal fans them out) and put back together
    equal the ones `solve` computes itself, entry for entry."""
    doc = make_problem(
        [
            cand("A", 10.0, {"2027": 6.0}),
            cand("B", 4.0, {"2027": 5.0}),
            cand("C", 7.0, {"2027": 4.0}),
            cand("D", 3.0, {"2027": 2.0}),
            cand("E", 1.0, {"2027": 20.0}),
        ],
        budget={"2027": 12.0},
        requires=[["D", "B"]],
    )
    for backend in ("highs", "cbc"):
        whole = optimizer.solve(doc, backend).to_dict()
        first = optimizer.explain(doc, whole, ["E", "A"], backend=backend)
        rest = optimizer.explain(doc, whole, ["B", "C", "D"], backend=backend)
        assert [e["id"] for e in first] == ["A", "E"]
        assert sorted(first + rest, key=lambda e: e["id"]) == whole["explanations"]


def test_explain_refuses_an_unsolved_result():
    doc = make_problem([cand("A", 1.0, {"2027": 5.0})], budget={"2027": 1.0}, force_in=["A"])
    result = optimizer.solve(doc).to_dict()
    assert result["status"] == "infeasible"
    try:
        optimizer.explain(doc, result)
    except ValueError as exc:
        assert "solved" in str(exc)
    else:
        raise AssertionError("an infeasible result was explained")
