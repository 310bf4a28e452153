"""One small hand-checked instance per constraint type, each asserting the exact optimal set."""

from __future__ import annotations

import pytest

import optimizer
from tests.optimizer.conftest import cand, make_problem

CASES = {
    # A (10, cost 6) alone beats B+C? B+C = 12 for cost 8 > A: budget 8 in 2027 picks B, C.
    "budget": (
        make_problem(
            [cand("A", 10, {"2027": 6}), cand("B", 7, {"2027": 4}), cand("C", 5, {"2027": 4})],
            budget={"2027": 8},
        ),
        {"B", "C"},
        12,
    ),
    # No budget on 2028: everything costing only 2028 is free to take.
    "unbudgeted_period": (
        make_problem(
            [cand("A", 10, {"2027": 6}), cand("B", 7, {"2028": 99}), cand("C", 5, {"2027": 4})],
            budget={"2027": 7},
        ),
        {"A", "B"},
        17,
    ),
    "capacity": (
        make_problem(
            [
                cand("A", 10, effort={"eng": {"2027": 5}}),
                cand("B", 6, effort={"eng": {"2027": 3}}),
                cand("C", 6, effort={"eng": {"2027": 3}}),
            ],
            capacity={"eng": {"2027": 6}},
        ),
        {"B", "C"},
        12,
    ),
    # A is worth most but needs D, and A+D do not fit: B+C win.
    "requires": (
        make_problem(
            [
                cand("A", 10, {"2027": 5}),
                cand("B", 6, {"2027": 4}),
                cand("C", 6, {"2027": 4}),
                cand("D", 1, {"2027": 4}),
            ],
            budget={"2027": 8},
            requires=[["A", "D"]],
        ),
        {"B", "C"},
        12,
    ),
    "exclusive": (
        make_problem(
            [cand("A", 10), cand("B", 9), cand("C", 8), cand("D", 1)],
            exclusive=[["A", "B", "C"]],
        ),
        {"A", "D"},
        11,
    ),
    # B and C go together; C alone is poor but B+C (13) beats A (10) within budget 10.
    "together": (
        make_problem(
            [cand("A", 10, {"2027": 6}), cand("B", 12, {"2027": 5}), cand("C", 1, {"2027": 5})],
            budget={"2027": 10},
            together=[["B", "C"]],
        ),
        {"B", "C"},
        13,
    ),
    "force_in": (
        make_problem(
            [cand("A", 10, {"2027": 6}), cand("B", 2, {"2027": 5})],
            budget={"2027": 10},
            force_in=["B"],
        ),
        {"B"},
        2,
    ),
    "force_out": (
        make_problem([cand("A", 10), cand("B", 2)], force_out=["A"]),
        {"B"},
        2,
    ),
    # Both cost 5 in 2027 (budget 5); B may start a year later, so both fit.
    "may_start_later_by": (
        make_problem(
            [
                cand("A", 10, {"2027": 5}),
                cand("B", 8, {"2027": 5, "2028": 1}, may_start_later_by=1),
            ],
            budget={"2027": 5, "2028": 5, "2029": 5},
        ),
        {"A", "B"},
        18,
    ),
    # B could only move past the last period: it may not, so only one fits.
    "shift_past_last_period": (
        make_problem(
            [cand("A", 10, {"2029": 5}), cand("B", 8, {"2029": 5}, may_start_later_by=2)],
            budget={"2029": 5},
        ),
        {"A"},
        10,
    ),
    # Finance must hold >= 50% of the selected cost: A (IT, 10) alone is not allowed.
    "department_share_min": (
        make_problem(
            [
                cand("A", 10, {"2027": 4}, department="IT"),
                cand("B", 3, {"2027": 4}, department="Finance"),
                cand("C", 4, {"2027": 4}, department="IT"),
            ],
            budget={"2027": 8},
            department_share={"Finance": {"min": 0.5}},
        ),
        {"A", "B"},
        13,
    ),
    # IT may hold at most 50%: A and C (both IT) cannot both go in.
    "department_share_max": (
        make_problem(
            [
                cand("A", 10, {"2027": 4}, department="IT"),
                cand("B", 3, {"2027": 4}, department="Finance"),
                cand("C", 4, {"2027": 4}, department="IT"),
            ],
            department_share={"IT": {"max": 0.5}},
        ),
        {"A", "B"},
        13,
    ),
    # customer candidates must hold >= 75% of the cost; B (cost 1) carries it.
    "theme_min_share": (
        make_problem(
            [
                cand("A", 10, {"2027": 4}),
                cand("B", 1, {"2027": 4}, themes=["customer"]),
                cand("C", 2, {"2027": 2}, themes=["customer"]),
            ],
            theme_min_share={"customer": 0.75},
        ),
        {"B", "C"},
        3,
    ),
    "count_max": (
        make_problem([cand("A", 10), cand("B", 9), cand("C", 8)], count={"max": 2}),
        {"A", "B"},
        19,
    ),
    # Values 0 cost nothing either way; count min 3 brings in the least bad third one.
    "count_min": (
        make_problem(
            [cand("A", 10, {"2027": 5}), cand("B", 0, {"2027": 1}), cand("C", 0, {"2027": 2})],
            budget={"2027": 8},
            count={"min": 3},
        ),
        {"A", "B", "C"},
        10,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_exact_optimal_set(case, backend):
    doc, expected, value = CASES[case]
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.status == "optimal"
    assert set(result.selected_ids) == expected
    assert result.objective == pytest.approx(value)
    assert result.gap == 0.0


def test_shifted_start_is_reported(backend):
    doc, _, _ = CASES["may_start_later_by"]
    result = optimizer.solve(doc, backend=backend, explain=False)
    starts = {s["id"]: (s["start"], s["delay"]) for s in result.selected}
    assert starts == {"A": ("2027", 0), "B": ("2028", 1)}
    assert result.spend == {"2027": 5, "2028": 5, "2029": 1}


def test_binding_marks_zero_slack(backend):
    doc, _, _ = CASES["budget"]
    result = optimizer.solve(doc, backend=backend, explain=False)
    (row,) = result.binding
    assert row["name"] == "budget 2027"
    assert row["slack"] == 0.0 and row["binding"] is True
    doc2 = make_problem([cand("A", 1, {"2027": 3})], budget={"2027": 5}, count={"max": 4})
    rows = {r["name"]: r for r in optimizer.solve(doc2, backend=backend).binding}
    assert rows["budget 2027"]["slack"] == 2 and not rows["budget 2027"]["binding"]
    assert rows["count max"]["slack"] == 3


def test_share_binding_reports_share(backend):
    doc, _, _ = CASES["department_share_max"]
    result = optimizer.solve(doc, backend=backend, explain=False)
    (row,) = result.binding
    assert row["kind"] == "department_share_max"
    assert row["share"] == pytest.approx(0.5)
    assert row["binding"] is True
