"""Exact at every magnitude (issue 15): answers checked on the problem's own numbers, verdicts
that a selection without a solver contradicts are not reported, and the property that any
answer keeps every rule exactly for numbers from 1e-6 to 1e15."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer
from optimizer import solvers, verify
from tests.optimizer.conftest import BACKENDS, cand, make_problem


def _overspend(excess: int) -> dict:
    """A and B together cost `excess` more than the budget of 1e9 and are worth most: a
    solver whose tolerance is relative to the limit (1e-7 of 1e9 = 100) takes them."""
    half = (1_000_000_000 + excess) // 2
    return make_problem(
        [
            cand("A", 10, {"2027": half}),
            cand("B", 10, {"2027": 1_000_000_000 + excess - half}),
            cand("C", 1, {"2027": 1}),
            cand("D", 1, {"2027": 2}),
            cand("E", 1, {"2027": 3}),
        ],
        budget={"2027": 1_000_000_000},
    )


@pytest.mark.parametrize("excess", [100, 10, 1])
def test_a_budget_is_never_overspent(backend, excess):
    result = optimizer.solve(_overspend(excess), backend=backend, explain=False)
    assert result.status == "optimal"
    # A or B (of equal value; B costs one more when the excess is odd) with C, D and E
    assert result.selected_ids[1:] == ["C", "D", "E"] and result.objective == 13
    (row,) = result.binding
    assert row["used"] == result.spend["2027"] <= 1_000_000_000 // 2 + excess + 6
    assert row["used"] <= row["limit"] and row["binding"] is False and row["slack"] > 0


def test_a_budget_spent_to_the_last_unit_is_binding(backend):
    doc = make_problem(
        [cand(c, 1 + k, {"2027": 0.1 * (k + 1)}) for k, c in enumerate("ABCDE")],
        budget={"2027": 0.3},  # 0.1 + 0.2: exactly 0.3 as decimals, 0.30000000000000004 in floats
    )
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.status == "optimal" and result.objective == 3
    assert result.spend == {"2027": 0.3, "2028": 0.0, "2029": 0.0}
    assert result.binding[0]["binding"] is True and result.binding[0]["slack"] == 0


def test_exact_sums_are_decimal():
    problem = optimizer.Problem.from_dict(
        make_problem(
            [cand("A", 1, {"2027": 0.1}, department="X"), cand("B", 1, {"2027": 0.9})],
            budget={"2027": 1.0},
            department_share={"X": {"min": 0.1, "max": 0.1}},
        )
    )
    chosen = {0: 0, 1: 0}
    totals = verify.tally(problem, chosen)
    assert totals.spend["2027"] == 1 and totals.total == 1
    # 0.1 of a total of 1 is exactly 0.1: both share bounds hold, with no slack
    shares = [r for r in verify.rows(problem, chosen) if "share" in r.kind]
    assert [(r.ok, r.slack) for r in shares] == [(True, 0), (True, 0)]


def _many(n: int = 6) -> dict:
    """Enough candidates to be solved, not enumerated (2^6 selections)."""
    return make_problem(
        [cand(f"C{k}", k + 1, {"2027": k + 2}) for k in range(n)], budget={"2027": 7}
    )


def test_small_problems_are_enumerated_exactly(monkeypatch):
    def no_solver(*args, **kwargs):
        raise AssertionError("a 1-candidate problem must not start a solver")

    monkeypatch.setattr(solvers, "solve", no_solver)
    doc = make_problem([cand("A", 3, {"2027": 5})], budget={"2027": 10})
    result = optimizer.solve(doc, explain=False)
    assert (result.status, result.selected_ids, result.objective) == ("optimal", ["A"], 3)
    assert result.solver["method"] == "enumeration"
    infeasible = make_problem([cand("A", 3, {"2027": 5})], budget={"2027": 1}, force_in=["A"])
    result = optimizer.solve(infeasible)
    assert result.status == "infeasible" and result.conflicts[0]["minimal"] is True


def _lying(verdict: str, real=solvers.solve):
    """A solver that answers `verdict` (infeasible, or the empty selection as optimal)."""

    def solve(matrix, backend, time_limit, gap, *args, **kwargs):
        run = real(matrix, backend, time_limit, gap, *args, **kwargs)
        if verdict == "infeasible":
            return solvers.SolverRun("infeasible", None, None, run.seconds, 0.0)
        return run

    return solve


def test_an_infeasible_verdict_that_no_selection_contradicts_stands(monkeypatch):
    monkeypatch.setattr(solvers, "solve", _lying("infeasible"))
    doc = _many()
    doc["count"] = {"min": 1}  # nothing selected breaks it, so only a solver could say
    result = optimizer.solve(doc, explain=False, diagnose=False)
    assert result.status == "infeasible"


def test_an_infeasible_verdict_the_empty_selection_contradicts_is_not_reported(monkeypatch):
    monkeypatch.setattr(solvers, "solve", _lying("infeasible"))
    result = optimizer.solve(_many(), explain=False)
    assert result.status == "feasible" and result.selected_ids == []
    assert result.bound is None and result.conflicts == []
    assert "keeps every rule" in result.solver["note"]


def test_a_conflict_is_minimal_only_when_each_step_is_checked(monkeypatch, backend):
    doc = _many()
    doc.update(force_in=["C5"], budget={"2027": 6})  # C5 costs 7
    honest = optimizer.solve(doc, backend=backend)
    (conflict,) = honest.conflicts
    assert conflict["minimal"] is True
    assert {c["name"] for c in conflict["constraints"]} == {"budget 2027", "force_in C5"}

    real = solvers.solve

    def sloppy(matrix, *args, **kwargs):
        """Feasible answers that break the budget by one unit (as a tolerance would)."""
        run = real(matrix, *args, **kwargs)
        if run.status != "infeasible" and run.values is not None:
            run.values = [
                1.0 if name.startswith("x") else v
                for name, v in zip(matrix.names, run.values, strict=True)
            ]
        return run

    monkeypatch.setattr(solvers, "solve", sloppy)
    from optimizer.diagnose import find_conflict
    from optimizer.model import build_model

    conflict = find_conflict(build_model(optimizer.Problem.from_dict(doc)), backend, 10)
    assert conflict["minimal"] is False


def test_a_solver_crash_is_an_answer_not_a_traceback(monkeypatch):
    def crash(*args, **kwargs):
        raise solvers.SolverFailed("CBC failed (exit code -11) without an answer")

    monkeypatch.setattr(solvers, "solve", crash)
    result = optimizer.solve(_many())
    assert result.status == "no_solution"
    assert result.errors == ["solver: CBC failed (exit code -11) without an answer"]


def test_values_at_the_top_of_the_range_are_explained(backend):
    big = 10**15
    doc = make_problem(
        [cand(f"C{k}", big - k, {"2027": 4 * 10**14 + k}) for k in range(5)],
        budget={"2027": 10**15},
    )
    result = optimizer.solve(doc, backend=backend)
    assert result.status == "optimal" and len(result.selected) == 2
    assert all(e.get("reason") != "infeasible" for e in result.explanations)


def test_tiny_values_are_not_lost(backend):
    doc = _many()
    for c in doc["candidates"]:
        c["value"] = float(f"{c['value']}e-6")
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.status == "optimal"
    # C5 alone (6e-6) beats C0 + C3 and C1 + C2 (5e-6): differences of 1e-6 count
    assert result.objective == 6e-6 and result.selected_ids == ["C5"]


# ---- the property: answers keep every rule exactly, at every magnitude


def _number(draw, low: int, high: int) -> float:
    """m x 10^e with m in 1..499 and e in low..high: 1e-6 up to 4.99e14."""
    return float(f"{draw(st.integers(1, 499))}e{draw(st.integers(low, high))}")


@st.composite
def magnitudes(draw) -> dict:
    """Problems of 5-7 candidates whose every number is drawn from 1e-6 to about 5e14, with
    budgets at (or one smallest step below) the cost of a subset, often of all of them:
    selecting everything then breaks the budget by a part in 10^18, far below any
    solver's tolerance."""
    n = draw(st.integers(5, 7))
    periods = ["p1", "p2"]
    low, high = draw(st.sampled_from([(-6, 12), (-6, 0), (0, 6), (6, 12), (-2, 2)]))
    candidates = []
    for k in range(n):
        cost = {p: _number(draw, low, high) for p in draw(st.sets(st.sampled_from(periods)))}
        candidates.append({"id": f"C{k}", "value": _number(draw, low, high), "cost": cost})
        if cost and draw(st.booleans()):  # worth what it costs: the budget decides
            candidates[-1]["value"] = float(sum(_exact(v) for v in cost.values()))
    budget = {}
    for p in periods:
        every = draw(st.sampled_from([True, True, False]))
        subset = [
            c["cost"][p] for c in candidates if p in c["cost"] and (every or draw(st.booleans()))
        ]
        if subset:
            total = sum(_exact(v) for v in subset)
            if draw(st.sampled_from([True, True, False])):
                total -= _exact(min(subset))
            budget[p] = float(total)
    doc = {"schema": "converge.problem/1", "periods": periods, "candidates": candidates}
    doc["budget"] = budget
    ids = [c["id"] for c in candidates]
    if draw(st.booleans()):
        doc["requires"] = [
            draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
        ]
    if draw(st.booleans()):
        doc["force_in"] = [draw(st.sampled_from(ids))]
    if draw(st.booleans()):
        low = draw(st.integers(0, n))
        doc["count"] = {"min": low, "max": draw(st.integers(low, n))}
    return doc


def _exact(x: float) -> Fraction:
    return Fraction(repr(x))


def _keeps(doc: dict, chosen: set[str]) -> bool:
    """The rules the drawn problems use, on exact decimals (independent of optimizer/verify)."""
    by_id = {c["id"]: c for c in doc["candidates"]}
    for p, limit in doc["budget"].items():
        spent = sum((_exact(by_id[c]["cost"].get(p, 0)) for c in chosen), Fraction(0))
        if spent > _exact(limit):
            return False
    if any(a in chosen and b not in chosen for a, b in doc.get("requires", [])):
        return False
    if not set(doc.get("force_in", [])) <= chosen:
        return False
    count = doc.get("count", {})
    return count.get("min", 0) <= len(chosen) <= count.get("max", len(chosen))


def _best(doc: dict) -> Fraction | None:
    ids = [c["id"] for c in doc["candidates"]]
    values = {c["id"]: _exact(c["value"]) for c in doc["candidates"]}
    found = None
    for picks in itertools.product([False, True], repeat=len(ids)):
        chosen = {cid for cid, pick in zip(ids, picks, strict=True) if pick}
        if _keeps(doc, chosen):
            value = sum((values[c] for c in chosen), Fraction(0))
            found = value if found is None or value > found else found
    return found


@pytest.mark.parametrize("backend", BACKENDS)
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(doc=magnitudes())
def test_every_answer_keeps_every_rule_exactly(backend, doc):
    """Whatever the magnitudes: the answer keeps every rule exactly (checked by
    optimizer/verify.py and by exact decimals here), its objective is its exact value, a
    feasible problem is never called infeasible, and the optimum is missed by no more than
    the solvers' tolerance."""
    assert optimizer.validate(doc) == []
    best = _best(doc)
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.status != "invalid"
    if best is None:
        assert result.status in ("infeasible", "no_solution")
        return
    assert result.status != "infeasible"  # never a false infeasibility
    if result.status not in optimizer.SOLVED:
        return
    chosen = set(result.selected_ids)
    problem = optimizer.Problem.from_dict(doc)
    index = {c.id: i for i, c in enumerate(problem.candidates)}
    assert verify.broken(problem, {index[c]: 0 for c in chosen}) == []
    assert _keeps(doc, chosen)
    value = sum((_exact(c["value"]) for c in doc["candidates"] if c["id"] in chosen), Fraction(0))
    assert result.objective == float(value)  # the exact value, rounded once
    assert value <= best
    # optimal within the solvers' tolerance: a millionth of the largest value
    largest = max(_exact(c["value"]) for c in doc["candidates"])
    assert best - value <= largest / 10**6
    assert all(row["slack"] >= 0 for row in result.binding)
