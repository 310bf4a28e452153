"""Issue 13 in the optimizer: value over time, discounting, theme shares with both bounds,
run cost past the horizon and negative values, each against hand-computed optima."""

from __future__ import annotations

import pytest

import optimizer
from tests.optimizer.conftest import brute_force, cand, choice_of, make_problem


def test_plain_value_ignores_the_discount_rate(backend):
    doc = make_problem([cand("A", 10, {"2027": 1}), cand("B", 7, {"2028": 1})], discount_rate=0.5)
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.objective == pytest.approx(17)


def test_value_by_period_is_discounted_by_position(backend):
    # 0-based positions: 2027 -> 0, 2028 -> 1, 2029 -> 2; r = 0.25
    doc = make_problem(
        [{"id": "A", "value_by_period": {"2027": 10, "2028": 10, "2029": 10}, "cost": {}}],
        discount_rate=0.25,
    )
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.objective == pytest.approx(10 + 10 / 1.25 + 10 / 1.25**2)
    assert result.selected[0]["value"] == pytest.approx(result.objective)


def test_value_and_stream_add_up(backend):
    doc = make_problem([cand("A", 3, {"2027": 1}, value_by_period={"2028": 4})], discount_rate=1.0)
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.objective == pytest.approx(3 + 4 / 2)


def test_a_later_start_shifts_the_stream_and_loses_what_falls_past_the_end(backend):
    # A must wait a period (the 2027 budget is taken by B); its 2029 value is lost when shifted.
    a = cand(
        "A",
        0,
        {"2027": 5},
        value_by_period={"2028": 6, "2029": 6},
        may_start_later_by=1,
    )
    b = cand("B", 20, {"2027": 5})
    doc = make_problem([a, b], budget={"2027": 5})
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert choice_of(result) == {"A": 1, "B": 0}
    assert result.objective == pytest.approx(20 + 6)  # 2028 -> 2029, 2029 -> past the end
    assert result.value_by_period == {"2027": 0.0, "2028": 0.0, "2029": 6.0}


def test_discounting_prefers_the_earlier_stream(backend):
    early = {"id": "E", "value_by_period": {"2027": 10}, "cost": {"2027": 1}}
    late = {"id": "L", "value_by_period": {"2029": 11}, "cost": {"2027": 1}}
    plain = make_problem([early, late], budget={"2027": 1})
    assert optimizer.solve(plain, backend=backend, explain=False).selected_ids == ["L"]
    discounted = dict(plain, discount_rate=0.1)  # 11 / 1.21 = 9.09 < 10
    assert optimizer.solve(discounted, backend=backend, explain=False).selected_ids == ["E"]


def test_negative_value_is_chosen_only_when_needed(backend):
    a = cand("A", 10, {"2027": 1})
    b = cand("B", -3, {"2027": 1})
    alone = make_problem([a, b])
    assert optimizer.solve(alone, backend=backend, explain=False).selected_ids == ["A"]
    needed = make_problem([a, b], requires=[["A", "B"]])
    result = optimizer.solve(needed, backend=backend, explain=False)
    assert result.selected_ids == ["A", "B"] and result.objective == pytest.approx(7)


def test_theme_share_max_holds(backend):
    doc = make_problem(
        [
            cand("A", 10, {"2027": 6}, themes=["cloud"]),
            cand("B", 1, {"2027": 4}),
            cand("C", 1, {"2027": 6}, themes=["cloud"]),
        ],
        theme_share={"cloud": {"max": 0.6}},
    )
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.selected_ids == ["A", "B"]
    (row,) = [b for b in result.binding if b["kind"] == "theme_share_max"]
    assert row["binding"] and row["share"] == pytest.approx(0.6)
    assert result.objective == brute_force(doc)


def test_run_cost_past_the_horizon_as_a_budget_line(backend):
    # Each runs 4 a year from go-live for ever; 2 years counted past 2029.
    a = cand("A", 10, {"2027": 1}, run_cost=4)
    b = cand("B", 9, {"2027": 1}, run_cost=4)
    c = cand("C", 2, {"2027": 1}, run_cost=4, lifetime=1)  # runs in 2028 only: no tail
    doc = make_problem([a, b, c], run_cost_past_horizon={"years": 2, "budget": 10})
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.selected_ids == ["A", "C"]
    (row,) = [r for r in result.binding if r["kind"] == "run_cost_past_horizon"]
    assert row["used"] == 8 and row["limit"] == 10
    assert result.run_cost_after_horizon["by_year"] == [4.0, 4.0]
    assert result.run_cost_after_horizon["yearly"] == 4.0


def test_run_cost_past_the_horizon_as_a_penalty(backend):
    # penalty 1 value per unit of money, r = 0: A's tail over 3 years is 3 x 2 = 6
    a = cand("A", 5, {"2027": 1}, run_cost=2)
    b = cand("B", 7, {"2027": 1}, run_cost=3)
    doc = make_problem([a, b], run_cost_past_horizon={"years": 3, "penalty": 1})
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.selected_ids == []  # 5 - 6 < 0 and 7 - 9 < 0
    doc["run_cost_past_horizon"]["penalty"] = 0.5
    result = optimizer.solve(doc, backend=backend, explain=False)
    assert result.selected_ids == ["A", "B"]
    assert result.objective == pytest.approx(5 - 3 + 7 - 4.5)


def test_go_live_and_lifetime_decide_the_tail():
    p = optimizer.Problem.from_dict(
        make_problem(
            [cand("A", 1, {"2027": 1}, run_cost=10, go_live="2029", lifetime=2)],
            run_cost_past_horizon={"years": 5},
            discount_rate=1.0,
        )
    )
    from optimizer.timing import Timing

    t = Timing(p)
    (c,) = p.candidates
    assert t.tail_cost(c, 0) == 10  # runs 2029 and the first year past the horizon
    assert t.discounted_tail(c, 0) == pytest.approx(10 / 2**3)
    assert t.runs_after_horizon(c, 0)
