"""Infeasible diagnoses, time limits, explanations and the result's JSON shape."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import optimizer
from tests.optimizer.conftest import cand, make_problem

# The team's shared folder sits beside the repository (as in CI).
ORLIB = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "orlib" / "mknapcb4.txt"
needs_orlib = pytest.mark.skipif(
    not ORLIB.exists(), reason=f"OR-Library reference data not found at {ORLIB}"
)


def test_forced_in_over_budget_is_explained(backend):
    doc = make_problem(
        [
            cand("IDEA-1", 5, {"2027": 800_000}),
            cand("IDEA-2", 5, {"2027": 100_000}),
            cand("IDEA-4", 5, {"2027": 600_000}),
        ],
        budget={"2027": 1_000_000, "2028": 500_000},
        force_in=["IDEA-1", "IDEA-4"],
        requires=[["IDEA-2", "IDEA-1"]],
    )
    result = optimizer.solve(doc, backend=backend)
    assert result.status == "infeasible"
    (conflict,) = result.conflicts
    assert conflict["text"] == (
        "IDEA-1 and IDEA-4 are forced in and together cost 1.4M in 2027, "
        "more than the 2027 budget of 1M"
    )
    assert {c["name"] for c in conflict["constraints"]} == {
        "budget 2027",
        "force_in IDEA-1",
        "force_in IDEA-4",
    }
    assert conflict["minimal"] is True


def test_requirement_forced_out_is_explained(backend):
    doc = make_problem(
        [cand("IDEA-3", 5), cand("IDEA-9", 1), cand("IDEA-5", 1)],
        force_in=["IDEA-3", "IDEA-5"],
        force_out=["IDEA-9"],
        requires=[["IDEA-3", "IDEA-9"]],
    )
    result = optimizer.solve(doc, backend=backend)
    assert result.status == "infeasible"
    assert result.conflicts[0]["text"] == (
        "IDEA-3 is forced in but requires IDEA-9, which is forced out"
    )
    kinds = sorted(c["kind"] for c in result.conflicts[0]["constraints"])
    assert kinds == ["force_in", "force_out", "requires"]


def test_conflict_through_a_chain_of_rules(backend):
    # A and B go together, B excludes C, C is forced in and A is forced in.
    doc = make_problem(
        [cand("A", 1), cand("B", 1), cand("C", 1), cand("D", 1)],
        together=[["A", "B"]],
        exclusive=[["B", "C"]],
        force_in=["A", "C"],
        count={"max": 4},
    )
    result = optimizer.solve(doc, backend=backend)
    names = {c["name"] for c in result.conflicts[0]["constraints"]}
    assert names == {"together[0]", "exclusive[0]", "force_in A", "force_in C"}
    assert result.conflicts[0]["text"].startswith("These cannot all hold: ")


def test_count_alone_can_be_the_conflict():
    doc = make_problem([cand("A", 1), cand("B", 1)], count={"min": 3})
    result = optimizer.solve(doc, backend="highs")
    assert result.conflicts[0]["constraints"][0]["name"] == "count min"
    assert "no selection can meet" in result.conflicts[0]["text"]


def _hard_knapsack() -> dict:
    tokens = [float(t) for t in ORLIB.read_text().split()]
    n, m = int(tokens[1]), int(tokens[2])
    pos = 4
    profits = tokens[pos : pos + n]
    pos += n
    rows = []
    for _ in range(m):
        rows.append(tokens[pos : pos + n])
        pos += n
    caps = tokens[pos : pos + m]
    periods = [f"r{i}" for i in range(m)]
    candidates = [
        {"id": f"i{j}", "value": profits[j], "cost": {p: rows[i][j] for i, p in enumerate(periods)}}
        for j in range(n)
    ]
    return make_problem(candidates, periods=periods, budget=dict(zip(periods, caps, strict=True)))


@needs_orlib
def test_time_limit_gives_feasible_with_bound_and_gap(backend):
    result = optimizer.solve(_hard_knapsack(), backend=backend, time_limit=0.5, explain=True)
    assert result.status == "feasible"
    assert result.bound is not None and result.bound >= result.objective
    assert result.gap is not None and result.gap > 0
    assert all(e.get("computed") is not True for e in result.explanations)
    assert result.solver["time_limit"] == 0.5


@needs_orlib
def test_gap_is_honoured_and_reported(backend):
    result = optimizer.solve(
        _hard_knapsack(), backend=backend, time_limit=30, gap=0.05, explain=False
    )
    assert result.status == "optimal"
    assert result.solver["gap_limit"] == 0.05
    # 23064 is the proven optimum of 10.100-00; "optimal" here means within the 5% asked for
    assert 23064 * 0.95 <= result.objective <= 23064


def _exact_count_portfolio(n: int = 5000) -> dict:
    """Exactly 30% of the candidates within two tight budgets: feasible (the cheapest 30%
    fit), but neither all-in nor all-out is, so a solver stopped at once holds no incumbent."""
    rng = random.Random(5)
    candidates = [
        cand(
            f"I{i}",
            rng.randint(1, 100),
            {"2027": rng.randint(50, 150), "2028": rng.randint(50, 150)},
        )
        for i in range(n)
    ]
    k = int(0.3 * n)
    return make_problem(
        candidates,
        periods=["2027", "2028"],
        budget={"2027": 30.0 * n, "2028": 30.0 * n},
        count={"min": k, "max": k},
    )


def test_stopped_before_any_solution_is_no_solution(backend):
    doc = _exact_count_portfolio()
    # 0.01 s is the smallest limit the optimizer passes on; both solvers stop with nothing
    # (CBC stopped in preprocessing even claims "infeasible": a deadline verdict is no proof)
    result = optimizer.solve(doc, backend=backend, time_limit=0.01)
    assert result.status == "no_solution"
    out = result.to_dict()
    assert out["objective"] is None and out["bound"] is None and out["gap"] is None
    assert out["selected"] == [] and out["conflicts"] == [] and out["errors"] == []
    # given time, the same problem is solved: the verdict above was the clock, not the problem
    solved = optimizer.solve(doc, backend=backend, time_limit=30, gap=1e-3, explain=False)
    assert solved.status == "optimal"
    assert len(solved.to_dict()["selected"]) == 1500


def test_an_infeasibility_proven_within_a_tiny_limit_stands(backend):
    rng = random.Random(3)
    candidates = [
        cand(f"I{i}", rng.randint(1, 100), {"2027": rng.randint(50, 150)}) for i in range(2000)
    ]
    doc = make_problem(candidates, budget={"2027": 10.0}, force_in=["I0"])
    result = optimizer.solve(doc, backend=backend, time_limit=0.01, explain=False)
    assert result.status == "infeasible"


def test_zero_amounts_do_not_move_past_the_last_period(backend):
    # A may start a year later; its zero 2029 cost, shifted, would land after the horizon
    doc = make_problem(
        [
            cand(
                "A",
                5,
                {"2027": 4, "2029": 0},
                effort={"eng": {"2027": 1, "2029": 0}},
                may_start_later_by=1,
            )
        ],
        budget={"2027": 0},
        capacity={"eng": {"2028": 2}},
    )
    result = optimizer.solve(doc, backend=backend).to_dict()
    assert result["status"] == "optimal"
    assert result["selected"] == [{"id": "A", "start": "2028", "delay": 1, "value": 5}]
    assert result["spend"] == {"2027": 0.0, "2028": 4.0, "2029": 0.0}
    assert result["usage"] == {"eng": {"2027": 0.0, "2028": 1.0, "2029": 0.0}}


def test_explanations_numbers(backend):
    doc = make_problem(
        [
            cand("A", 10, {"2027": 6}),
            cand("B", 7, {"2027": 4}),
            cand("C", 5, {"2027": 4}),
            cand("D", 4, {"2027": 1}),
            cand("E", 9, {"2027": 1}),
            cand("F", 2),
            cand("G", 3),
        ],
        budget={"2027": 9},
        force_out=["E"],
        requires=[["F", "E"]],
        exclusive=[["G", "B"]],
    )
    result = optimizer.solve(doc, backend=backend)
    # A+D+G = 17 beats B+C+D = 16 (G is free but excludes B).
    assert set(result.selected_ids) == {"A", "D", "G"}
    by_id = {e["id"]: e for e in result.explanations}
    assert by_id["A"]["value_lost"] == pytest.approx(1)  # falls back to B+C+D
    assert by_id["A"]["value_to_stay"] == pytest.approx(9)
    assert by_id["D"]["value_lost"] == pytest.approx(4)  # A+G = 13
    assert by_id["G"]["value_lost"] == pytest.approx(1)
    assert by_id["C"]["reason"] == "value"
    assert by_id["C"]["value_lost"] == pytest.approx(1)  # C forced in: B+C+D = 16
    assert by_id["C"]["value_to_enter"] == pytest.approx(6)
    assert by_id["B"]["reason"] == "exclusive" and by_id["B"]["related"] == ["G"]
    assert by_id["E"]["reason"] == "forced_out"
    assert by_id["F"]["reason"] == "requires" and by_id["F"]["related"] == ["E"]
    for entry in result.explanations:
        assert entry["text"].startswith(entry["id"])


def test_explanations_stop_at_their_time_limit():
    candidates = [cand(f"I{i}", 10 + i % 7, {"2027": 3 + i % 5}) for i in range(40)]
    doc = make_problem(candidates, budget={"2027": 40})
    result = optimizer.solve(doc, backend="highs", explain_time_limit=1e-9)
    assert result.status == "optimal"
    assert all(e["computed"] is False for e in result.explanations)
    assert "time ran out" in result.explanations[0]["text"]


def test_result_is_json_with_contract_keys(backend):
    doc = make_problem(
        [cand("A", 10, {"2027": 6}, effort={"eng": {"2028": 2}}), cand("B", 1, {"2029": 1})],
        budget={"2027": 9},
        capacity={"eng": {"2028": 3}},
    )
    out = json.loads(json.dumps(optimizer.solve(doc, backend=backend).to_dict(), allow_nan=False))
    assert out["schema"] == "converge.result/1"
    assert set(out) >= {
        "status",
        "objective",
        "bound",
        "gap",
        "selected",
        "spend",
        "usage",
        "binding",
        "explanations",
        "conflicts",
        "errors",
        "solver",
    }
    assert out["selected"] == [
        {"id": "A", "start": "2027", "delay": 0, "value": 10},
        {"id": "B", "start": "2029", "delay": 0, "value": 1},
    ]
    assert out["usage"] == {"eng": {"2027": 0, "2028": 2, "2029": 0}}
    assert out["solver"]["backend"] == backend
    assert {"build_seconds", "solve_seconds"} <= set(out["solver"])


def test_empty_candidate_list_is_optimal(backend):
    result = optimizer.solve(make_problem([]), backend=backend)
    assert result.status == "optimal" and result.objective == 0 and result.selected == []


def test_same_input_same_answer(backend):
    rng = random.Random(5)
    candidates = [
        cand(f"I{i}", rng.randint(1, 30), {p: rng.randint(1, 10) for p in ("2027", "2028")})
        for i in range(40)
    ]
    doc = make_problem(candidates, budget={"2027": 60, "2028": 60})
    first = optimizer.solve(doc, backend=backend, time_limit=20)
    again = optimizer.solve(doc, backend=backend, time_limit=20)
    assert first.status == "optimal"
    assert first.selected == again.selected and first.objective == again.objective
    # Explanations are bounded by wall time, so under load one run may finish a re-solve the
    # other stopped; whatever both computed must agree.
    for a, b in zip(first.explanations, again.explanations, strict=True):
        assert (a["id"], a["reason"]) == (b["id"], b["reason"])
        if a.get("computed") and b.get("computed"):
            assert a.get("value_lost") == b.get("value_lost")
