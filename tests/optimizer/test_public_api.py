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
