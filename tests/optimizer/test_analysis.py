"""Budget frontier and robustness sampling."""

from __future__ import annotations

import pytest

import optimizer
from tests.optimizer.conftest import cand, make_problem


def portfolio() -> dict:
    return make_problem(
        [
            cand("A", 10, {"2027": 6, "2028": 2}, value_low=4, value_high=14),
            cand("B", 7, {"2027": 4}, value_low=6, value_high=12),
            cand("C", 5, {"2027": 4, "2028": 3}),
            cand("D", 4, {"2028": 5}, value_low=1, value_high=9),
            cand("E", 3, {"2027": 1}, value_low=0, value_high=3),
        ],
        budget={"2027": 8, "2028": 6},
        exclusive=[["B", "E"]],
    )


def test_frontier_is_monotone_and_reaches_everything(backend):
    out = optimizer.frontier(portfolio(), points=6, backend=backend)
    assert out["status"] == "ok"
    points = out["points"]
    assert [p["factor"] for p in points][0] == 0
    # all of 2027 costs 15 against 8, 2028 costs 10 against 6
    assert out["full_factor"] == pytest.approx(15 / 8)
    values = [p["objective"] for p in points]
    assert all(p["status"] == "optimal" for p in points)
    assert values == sorted(values)
    assert values[0] == 0
    # at full budget only the B/E exclusion holds anything back
    assert set(points[-1]["selected"]) == {"A", "B", "C", "D"}
    seen: set[str] = set()
    for p in points:
        seen = (seen | set(p["entered"])) - set(p["left"])
        assert seen == set(p["selected"])


def test_frontier_needs_a_budget():
    out = optimizer.frontier(make_problem([cand("A", 1)]), points=3)
    assert out["status"] == "invalid"


def test_robustness_same_seed_same_answer(backend):
    first = optimizer.robustness(portfolio(), samples=6, seed=42, backend=backend)
    again = optimizer.robustness(portfolio(), samples=6, seed=42, backend=backend)
    assert first == again
    other = optimizer.robustness(portfolio(), samples=6, seed=43, backend=backend)
    assert other["objective"] != first["objective"]


def test_robustness_frequencies_and_spread():
    out = optimizer.robustness(portfolio(), samples=20, seed=1, backend="highs")
    assert out["status"] == "ok" and out["statuses"] == {"optimal": 20}
    assert set(out["frequency"]) == {"A", "B", "C", "D", "E"}
    assert all(0 <= f <= 1 for f in out["frequency"].values())
    spread = out["objective"]
    assert spread["min"] <= spread["median"] <= spread["max"]
    assert spread["stdev"] > 0
    # the optimum under each draw is never worse than the planned portfolio
    assert out["regret"]["min"] >= -1e-9


def test_candidate_without_range_keeps_its_value():
    doc = make_problem([cand("A", 5, {"2027": 1})], budget={"2027": 1})
    out = optimizer.robustness(doc, samples=4, seed=0, backend="highs")
    assert out["objective"]["min"] == out["objective"]["max"] == 5
