"""The explanation search on its own (optimizer/explanations.py): its row check agrees with the
contract, its brackets hold the brute-force forced optimum, and a re-solve with reduced-cost
fixing started from any feasible selection finds that optimum exactly."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import optimizer
from optimizer.model import build_model
from tests.optimizer.conftest import brute_force_forced, cand, check, choices, make_problem, worth
from tests.optimizer.test_properties import problems, timed_problems

# `optimizer.explain` is the public function; the search is in optimizer/explanations.py.
explain_module = importlib.import_module("optimizer.explanations")
reasons = importlib.import_module("optimizer.reasons")
Forced, ForcedOptima = reasons.Forced, explain_module.ForcedOptima

SMALL = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _search(doc: dict):
    problem = optimizer.Problem.from_dict(doc)
    model = build_model(problem)
    return problem, model, ForcedOptima(model, {}, reasons.ABS_TOL)


def _selection(search, model, problem, choice: dict[str, int]) -> np.ndarray:
    """The binary columns of a choice (id -> shift)."""
    take = np.zeros(len(search.cost), bool)
    for i, c in enumerate(problem.candidates):
        if c.id in choice:
            (column,) = [
                k
                for (shift, _), k in zip(model.starts[i], search.columns[i], strict=True)
                if shift == choice[c.id]
            ]
            take[search.position[column]] = True
    return take


@SMALL
@given(doc=timed_problems(max_candidates=5))
def test_row_check_agrees_with_the_contract(doc):
    """Every selection and start: the search's check of the model's rows accepts exactly the
    ones the contract allows (shares through the substituted total cost included), and values
    them as the contract does."""
    if brute_force_forced(doc)[0] is None:
        return  # the search is made for solved models
    problem, model, search = _search(doc)
    by_id = {c["id"]: c for c in doc["candidates"]}
    for choice in choices(doc):
        value = search.value(_selection(search, model, problem, choice))
        if not check(doc, choice):
            assert value is None, choice
        else:
            expected = sum(worth(doc, by_id[cid], s) for cid, s in choice.items())
            assert value == pytest.approx(expected, abs=1e-9), choice


@SMALL
@given(doc=problems(max_candidates=6))
def test_brackets_and_fixed_re_solves_find_the_forced_optimum(doc):
    _assert_forced_optima(doc, "highs")


@settings(max_examples=8, deadline=None, derandomize=True)
@given(doc=timed_problems(max_candidates=5))
def test_cbc_re_solves_with_fixing_find_the_forced_optimum(doc):
    _assert_forced_optima(doc, "cbc")


@pytest.mark.parametrize("engine", ["highs", "cbc"])
def test_fixing_keeps_an_optimum_the_lp_rounds_away_from(engine):
    """The LP takes B whole and A in part (17.33); the optimum is A and C (16), the
    runner-up B and C (15). Flipping B or C costs 0.67 by their reduced costs, so neither
    may be fixed against the runner-up; fixing them would leave 15."""
    doc = make_problem(
        [cand("A", 10, {"2027": 6}), cand("B", 9, {"2027": 5}), cand("C", 6, {"2027": 4})],
        budget={"2027": 10},
    )
    _assert_forced_optima(doc, engine)


def _assert_forced_optima(doc: dict, engine: str) -> None:
    """For every candidate forced either way: the bounds bracket the brute-force forced
    optimum, and a re-solve whose reduced-cost fixing starts from the runner-up (the best
    selection below the optimum, so that fixing one column too many would lose the optimum)
    closes on it exactly."""
    best, with_it, without_it = brute_force_forced(doc)
    if best is None:
        return
    problem, model, search = _search(doc)
    by_id = {c["id"]: c for c in doc["candidates"]}
    feasible = [
        (sum(worth(doc, by_id[cid], s) for cid, s in choice.items()), choice)
        for choice in choices(doc)
        if check(doc, choice)
    ]
    for i, c in enumerate(problem.candidates):
        for into, truth in ((True, with_it[c.id]), (False, without_it[c.id])):
            quick = [search.quick(i, into, widths) for widths in explain_module.QUICK_ROUNDS]
            bounds = search.bounds(i, into, quick[0], exchanges=True)
            if truth is None:
                assert bounds.low is None and all(q.low is None for q in quick)
                continue
            for bracket in [*quick, bounds]:
                assert not bracket.infeasible
                assert bracket.low is None or bracket.low <= truth + 1e-9
                assert bracket.high is None or bracket.high >= truth - 1e-9
            side = [(v, ch) for v, ch in feasible if (c.id in ch) == into]
            below = [(v, ch) for v, ch in side if v < truth - 1e-6]
            value, choice = max(below or side, key=lambda item: item[0])
            take = _selection(search, model, problem, choice)
            assert search.value(take) == pytest.approx(value, abs=1e-9)
            weak = Forced(low=search.value(take), high=bounds.high, selection=take)
            fixed = search.fixings(i, into, weak)
            found = search.resolve(i, into, weak, engine, 0.0, 10.0, fixed)
            assert found.low == pytest.approx(truth, abs=1e-6)
            assert found.width() <= reasons.ABS_TOL


def test_a_candidate_nothing_feasible_forces_in_is_infeasible_without_a_re_solve():
    doc = make_problem([cand("A", 5, {"2027": 4}), cand("B", 1, {"2027": 9})], budget={"2027": 5.0})
    problem, _, search = _search(doc)
    forced = search.bounds(1, True, search.quick(1, True), exchanges=False)
    assert forced.infeasible and forced.method == "bounds"


def test_several_starts_force_in_through_the_extra_row():
    """A candidate with several allowed starts is forced in by its starts' sum, so the forced
    optimum may move it to another start."""
    doc = make_problem(
        [
            cand("A", 5, {"2027": 4}, may_start_later_by=2),
            cand("B", 6, {"2027": 4}),
        ],
        budget={"2027": 5.0, "2028": 0.0, "2029": 4.0},
    )
    result = optimizer.solve(doc, backend="highs")
    (entry,) = [e for e in result.explanations if e["id"] == "A"]
    # B takes 2027; A fits only at its 2029 start, which is allowed: both selected
    assert result.objective == 11 and entry["selected"]
    assert entry["value_lost"] == 5 and entry["exact"] is True


def test_a_bracket_left_open_is_a_range_in_words():
    entry = {"id": "A", "selected": True, "value": 7.0}
    reasons._write(entry, Forced(low=8.0, high=10.0), objective=12.0, tol=1e-6, gap=0.0)
    assert entry["computed"] is False and entry["exact"] is False
    assert entry["value_lost_range"] == [2.0, 4.0]
    assert entry["text"] == (
        "A: the value at stake is between 2 and 4 (the explanation time ran out before a re-solve)."
    )


def test_a_bracket_within_the_gap_counts_as_a_re_solve_within_the_gap():
    """With a gap asked for, a bracket that narrow is what a re-solve would have accepted:
    the value lost against the best selection found, the range beside it."""
    entry = {"id": "B", "selected": False, "value": 3.0}
    narrow = Forced(low=99.95, high=100.0)
    reasons._write(entry, narrow, objective=104.0, tol=1e-6, gap=1e-3)
    assert entry["computed"] is True and entry["exact"] is False
    assert entry["value_lost"] == pytest.approx(4.05)
    assert entry["value_lost_range"] == pytest.approx([4.0, 4.05])
    assert entry["value_to_enter"] == pytest.approx(7.05)
    again = {"id": "B", "selected": False, "value": 3.0}
    reasons._write(again, narrow, objective=104.0, tol=1e-6, gap=1e-4)
    assert again["computed"] is False and "value_lost" not in again


def test_a_model_the_search_cannot_read_is_said_not_computed():
    """A continuous column with value of its own (the model never has one today) stops the
    search before it starts: the entries say why, the solve itself stands."""
    others = [cand(cid, 1, {"2027": 4}) for cid in "CDE"]  # too many to try every selection
    doc = make_problem(
        [cand("A", 5, {"2027": 4}), cand("B", 3, {"2027": 4}), *others], budget={"2027": 5}
    )
    problem = optimizer.Problem.from_dict(doc)
    assert not optimizer.verify.tiny(problem)
    model = build_model(problem)
    m = model.matrix
    model.matrix = dataclasses.replace(
        m,
        names=[*m.names, "extra"],
        cost=[*m.cost, 1.0],
        lower=[*m.lower, 0.0],
        upper=[*m.upper, 1.0],
        integer=[*m.integer, False],
    )
    entries = reasons.explanations(model, {0: 0}, 6.0, "highs", exact=True, gap=0.0, time_limit=5.0)
    assert [e["computed"] for e in entries] == [False] * 5
    assert entries[0]["text"] == (
        "A: not computed (the explanation search could not start: "
        "a continuous column of the model carries value)."
    )
