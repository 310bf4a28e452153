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
    assert list(t.tail_positions(c, 0)) == [3]
    assert t.factor[3] == pytest.approx(1 / 2**3)
    assert t.runs_after_horizon(c, 0)


def _entry(result, cid):
    return next(e for e in result.explanations if e["id"] == cid)


def test_left_out_says_when_it_would_have_fit(backend):
    # B takes the 2027 budget; A may not start later, but would fit in 2028.
    doc = make_problem(
        [
            cand("A", 0, {"2027": 5}, value_by_period={"2028": 4, "2029": 4}),
            cand("B", 10, {"2027": 5}),
        ],
        budget={"2027": 5, "2028": 5},
    )
    result = optimizer.solve(doc, backend=backend)
    a = _entry(result, "A")
    assert a["reason"] == "value"
    assert a["fits_at"] == {"start": "2028", "delay": 1, "allowed": False, "value": 4}
    assert "would fit if it started in 2028 (1 later; it may start at most 0 later)" in a["text"]
    assert "where it would count for 4" in a["text"]
    doc["budget"].update({"2028": 0, "2029": 0})
    a = _entry(optimizer.solve(doc, backend=backend), "A")
    assert a["fits_at"] is None and "fit" not in a["text"]


def test_left_out_with_an_allowed_later_start_that_is_worth_less(backend):
    # A later start pushes A's 2029 value past the end: it would count for -1 there.
    doc = make_problem(
        [
            cand("A", -1, {"2027": 5}, value_by_period={"2029": 4}, may_start_later_by=1),
            cand("B", 10, {"2027": 5}),
        ],
        budget={"2027": 5},
    )
    result = optimizer.solve(doc, backend=backend)
    a = _entry(result, "A")
    assert a["fits_at"] == {"start": "2028", "delay": 1, "allowed": True, "value": -1}
    assert "It fits if it starts in 2028 (1 later), where it would count for -1." in a["text"]


def test_left_out_says_the_value_per_period_it_would_need(backend):
    # A counts 2/2 + 2/4 = 1.5 at r = 1; B counts 10; A needs 10 to tie: a flat v over
    # 2028-2029 with v/2 + v/4 = 10, v = 13.33.
    doc = make_problem(
        [
            {"id": "A", "value_by_period": {"2028": 2, "2029": 2}, "cost": {"2027": 5}},
            cand("B", 10, {"2027": 5}),
        ],
        budget={"2027": 5},
        discount_rate=1.0,
    )
    result = optimizer.solve(doc, backend=backend)
    a = _entry(result, "A")
    assert a["value"] == pytest.approx(1.5)
    assert a["value_to_enter"] == pytest.approx(10)
    assert a["value_per_period_to_enter"] == pytest.approx(40 / 3)
    assert "it would need 13.3 in 2028-2029 (now 2, 2)" in a["text"]
    # 2028 has no budget: it would fit there, its 2028 value then landing in 2029 (2 / 4)
    assert a["fits_at"] == {"start": "2028", "delay": 1, "allowed": False, "value": 0.5}


def test_selected_despite_negative_impacts_and_tail_cost(backend):
    # C: value 8, negative impacts worth 4 (already netted), run cost 1 for the 2 years
    # counted past the horizon at penalty 1: counts 8 - 2 = 6; nothing else competes.
    doc = make_problem(
        [cand("C", 8, {"2027": 1}, negative_impact=4, run_cost=1), cand("D", 1, {"2027": 1})],
        run_cost_past_horizon={"years": 2, "penalty": 1},
        budget={"2027": 2},
    )
    result = optimizer.solve(doc, backend=backend)
    c = _entry(result, "C")
    assert c["despite"] == {"negative_impact": 4, "run_cost_past_horizon": 2, "penalty": 2}
    assert c["margin"] == pytest.approx(6)
    assert c["text"] == (
        "C is selected despite negative impacts worth 4 and 2 of run cost in the 2 years past "
        "the horizon (a penalty of 2 in value): forcing it out would lose 6 of value, so it "
        "stays selected with up to 6 more against it."
    )
    d = _entry(result, "D")
    assert "despite" not in d  # D has neither


def test_forced_in_despite_a_negative_value(backend):
    doc = make_problem([cand("A", -3, {"2027": 1}, run_cost=5)], force_in=["A"])
    result = optimizer.solve(doc, backend=backend)
    a = _entry(result, "A")
    assert a["despite"] == {"negative_value": 3, "run_cost": 5}
    assert a["text"] == (
        "A is selected despite a negative value of -3 and a run cost of 5 a period after the "
        "horizon: it is forced in."
    )


def test_robustness_values_the_plan_as_the_objective_does():
    # No value ranges: every draw is the plan itself, so the planned value is the optimum
    # (streams, discounting and the tail penalty included) and the regret is 0.
    doc = make_problem(
        [
            cand("A", 1, {"2027": 3}, value_by_period={"2028": 5}, run_cost=1),
            cand("B", 2, {"2027": 3}, value_by_period={"2029": 6}, value_low=0, value_high=4),
            cand("C", 3, {"2027": 3}),
        ],
        budget={"2027": 6},
        discount_rate=0.2,
        run_cost_past_horizon={"years": 2, "penalty": 0.5},
    )
    out = optimizer.robustness(doc, samples=8, seed=1, backend="highs")
    assert out["status"] == "ok"
    assert out["regret"]["min"] >= -1e-9
    planned = optimizer.solve(doc, backend="highs", explain=False)
    fixed = dict(doc, candidates=[dict(c) for c in doc["candidates"]])
    for c in fixed["candidates"]:
        c.pop("value_low", None)
        c.pop("value_high", None)
    still = optimizer.robustness(fixed, samples=3, seed=1, backend="highs")
    assert still["planned_value"]["min"] == pytest.approx(planned.objective)
    assert still["regret"]["max"] == pytest.approx(0, abs=1e-9)
