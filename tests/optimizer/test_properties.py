"""Property tests: on small random problems the optimizer agrees with brute-force enumeration."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import optimizer
from optimizer import verify
from tests.optimizer.conftest import (
    BACKENDS,
    _tail_years,
    brute_force,
    brute_force_forced,
    check,
    choice_of,
    go_live,
    worth,
)

PERIODS = ["p1", "p2", "p3"]
SHARES = [0.0, 0.25, 0.5, 0.75, 1.0]


@st.composite
def problems(draw, max_candidates: int = 12) -> dict:
    n = draw(st.integers(1, max_candidates))
    ids = [f"C{i}" for i in range(n)]
    shifting = set(draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)))
    candidates = []
    for cid in ids:
        cost = draw(st.dictionaries(st.sampled_from(PERIODS), st.integers(0, 9), max_size=2))
        c = {
            "id": cid,
            "value": draw(st.integers(0, 20)),
            "cost": cost,
            "department": draw(st.sampled_from(["D1", "D2"])),
            "themes": draw(st.lists(st.sampled_from(["t1", "t2"]), max_size=2, unique=True)),
        }
        if draw(st.booleans()):
            c["effort"] = {"eng": {draw(st.sampled_from(PERIODS)): draw(st.integers(1, 4))}}
        if cid in shifting:
            c["may_start_later_by"] = draw(st.integers(1, 2))
        candidates.append(c)
    doc = {
        "schema": "converge.problem/1",
        "periods": PERIODS,
        "candidates": candidates,
        "budget": draw(st.dictionaries(st.sampled_from(PERIODS), st.integers(0, 25), max_size=3)),
        "capacity": {"eng": draw(st.dictionaries(st.sampled_from(PERIODS), st.integers(0, 6)))},
    }
    pairs = st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True)
    if n >= 2:
        doc["requires"] = draw(st.lists(pairs, max_size=3))
        groups = st.lists(st.sampled_from(ids), min_size=2, max_size=3, unique=True)
        doc["exclusive"] = draw(st.lists(groups, max_size=2))
        doc["together"] = draw(st.lists(pairs, max_size=1))
    forced = draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
    split = draw(st.integers(0, len(forced)))
    doc["force_in"], doc["force_out"] = forced[:split], forced[split:]
    used_departments = {c["department"] for c in candidates}
    if draw(st.booleans()):
        dept = draw(st.sampled_from(sorted(used_departments)))
        low = draw(st.sampled_from(SHARES[:3]))
        high = draw(st.sampled_from([s for s in SHARES if s >= low]))
        doc["department_share"] = {dept: {"min": low, "max": high}}
    used_themes = sorted({t for c in candidates for t in c["themes"]})
    if used_themes and draw(st.booleans()):
        doc["theme_min_share"] = {draw(st.sampled_from(used_themes)): draw(st.sampled_from(SHARES))}
    if draw(st.booleans()):
        low = draw(st.integers(0, 3))
        doc["count"] = {"min": low, "max": draw(st.integers(low, max(low, n + 1)))}
    return doc


FAST = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("backend", BACKENDS)
@FAST
@given(doc=problems())
def test_matches_brute_force(backend, doc):
    _assert_matches_brute_force(doc, backend)


def _assert_matches_brute_force(doc: dict, backend: str):
    """The solver's status and optimum are the brute-force answer's, and its choice is
    feasible; returns (result, optimum), the optimum None when nothing is feasible."""
    assert optimizer.validate(doc) == []
    expected = brute_force(doc)
    event("infeasible" if expected is None else "feasible")
    result = optimizer.solve(doc, backend=backend, explain=False, diagnose=False)
    if expected is None:
        assert result.status == "infeasible"
    else:
        assert result.status == "optimal"
        assert result.objective == pytest.approx(expected, abs=1e-6)
        assert check(doc, choice_of(result))
    return result, expected


@settings(max_examples=60, deadline=None, derandomize=True)
@given(doc=problems(max_candidates=8))
def test_conflicts_are_infeasible_and_irreducible(doc):
    _assert_conflict_is_irreducible(doc)


def _assert_conflict_is_irreducible(doc: dict) -> None:
    """An infeasible answer's conflict is infeasible alone and feasible without any one row."""
    result = optimizer.solve(doc, backend="highs", explain=False)
    if result.status != "infeasible":
        return
    (conflict,) = result.conflicts
    assert conflict["minimal"] is True
    kept = {c["name"] for c in conflict["constraints"]}
    assert brute_force(_only(doc, kept)) is None
    for name in kept:
        assert brute_force(_only(doc, kept - {name})) is not None


def _only(doc: dict, names: set[str]) -> dict:
    """The problem restricted to the named constraint groups (names as the optimizer gives)."""
    out = {k: doc[k] for k in ("schema", "periods", "candidates")}
    out["budget"] = {p: v for p, v in doc.get("budget", {}).items() if f"budget {p}" in names}
    out["capacity"] = {
        pool: {p: v for p, v in per.items() if f"capacity {pool} {p}" in names}
        for pool, per in doc.get("capacity", {}).items()
    }
    for key in ("requires", "exclusive", "together"):
        out[key] = [g for k, g in enumerate(doc.get(key, [])) if f"{key}[{k}]" in names]
    for key in ("force_in", "force_out"):
        out[key] = [cid for cid in doc.get(key, []) if f"{key} {cid}" in names]
    shares = {}
    for dept, share in doc.get("department_share", {}).items():
        kept = {}
        if f"department_share {dept} min" in names:
            kept["min"] = share["min"]
        if f"department_share {dept} max" in names:
            kept["max"] = share["max"]
        shares[dept] = kept
    out["department_share"] = shares
    out["theme_min_share"] = {
        t: v for t, v in doc.get("theme_min_share", {}).items() if f"theme_min_share {t}" in names
    }
    themes = {}
    for theme, share in doc.get("theme_share", {}).items():
        kept = {}
        if f"theme_min_share {theme}" in names:
            kept["min"] = share["min"]
        if f"theme_share {theme} max" in names:
            kept["max"] = share["max"]
        themes[theme] = kept
    out["theme_share"] = themes
    tail = doc.get("run_cost_past_horizon")
    if tail is not None:
        out["run_cost_past_horizon"] = {k: v for k, v in tail.items() if k != "budget"}
        if "run_cost_past_horizon" in names:
            out["run_cost_past_horizon"]["budget"] = tail["budget"]
    count = doc.get("count") or {}
    out["count"] = {
        k: v
        for k, v in count.items()
        if (k == "min" and "count min" in names) or (k == "max" and "count max" in names)
    }
    return out


RATES = [0.0, 0.0, 0.25, 0.5]


@st.composite
def timed_problems(draw, max_candidates: int = 10) -> dict:
    """`problems()` with every field of issue 13: value streams (some without `value`),
    negative values, a discount rate, theme shares with both bounds, run costs with lifetimes
    and go-lives, and the run cost past the horizon as a budget line and/or a penalty."""
    doc = draw(problems(max_candidates))
    for c in doc["candidates"]:
        kind = draw(st.sampled_from(["value", "stream", "both", "negative"]))
        if kind in ("stream", "both"):
            c["value_by_period"] = draw(
                st.dictionaries(st.sampled_from(PERIODS), st.integers(0, 12), min_size=1)
            )
            if kind == "stream":
                del c["value"]
        if kind == "negative":
            c["value"] = -draw(st.integers(1, 6))
            c["negative_impact"] = draw(st.integers(0, 6))
        if draw(st.booleans()):
            c["run_cost"] = draw(st.integers(1, 5))
            if draw(st.booleans()):
                c["lifetime"] = draw(st.integers(1, 4))
            if draw(st.booleans()):
                c["go_live"] = draw(st.sampled_from(PERIODS))
    doc["discount_rate"] = draw(st.sampled_from(RATES))
    used_themes = sorted({t for c in doc["candidates"] for t in c["themes"]})
    if used_themes and draw(st.booleans()):
        theme = draw(st.sampled_from(used_themes))
        doc.get("theme_min_share", {}).pop(theme, None)
        low = draw(st.sampled_from(SHARES[:3]))
        doc["theme_share"] = {
            theme: {"min": low, "max": draw(st.sampled_from([s for s in SHARES if s >= low]))}
        }
    if any(c.get("run_cost") for c in doc["candidates"]) and draw(st.booleans()):
        tail: dict = {"years": draw(st.integers(1, 3))}
        if draw(st.booleans()):
            tail["budget"] = draw(st.integers(0, 20))
        if draw(st.booleans()):
            tail["penalty"] = draw(st.sampled_from([0, 0.5, 1, 2]))
        doc["run_cost_past_horizon"] = tail
    return doc


@pytest.mark.parametrize("backend", BACKENDS)
@FAST
@given(doc=timed_problems())
def test_time_fields_match_brute_force(backend, doc):
    result, expected = _assert_matches_brute_force(doc, backend)
    if expected is None:
        return
    # the reported values are the objective's terms
    by_id = {c["id"]: c for c in doc["candidates"]}
    assert sum(s["value"] for s in result.selected) == pytest.approx(expected, abs=1e-6)
    for s in result.selected:
        assert s["value"] == pytest.approx(worth(doc, by_id[s["id"]], s["delay"]), abs=1e-9)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(doc=timed_problems(max_candidates=7))
def test_time_conflicts_are_infeasible_and_irreducible(doc):
    _assert_conflict_is_irreducible(doc)


EXPLAIN = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _no_enumeration():
    """The solvers and the bracket search even where every selection could be tried."""
    return mock.patch.object(verify, "ENUMERATE_AT_MOST", 0)


@pytest.mark.parametrize("backend", BACKENDS)
@EXPLAIN
@given(doc=problems(max_candidates=7))
def test_explanations_match_brute_force(backend, doc):
    with _no_enumeration():
        _assert_explanations_match_brute_force(doc, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@EXPLAIN
@given(doc=timed_problems(max_candidates=6))
def test_time_explanations_match_brute_force(backend, doc):
    with _no_enumeration():
        _assert_explanations_match_brute_force(doc, backend)


@EXPLAIN
@given(doc=st.one_of(problems(max_candidates=4), timed_problems(max_candidates=3)))
def test_tiny_problems_are_explained_by_trying_every_selection(doc):
    """Where every selection can be tried, the explanations are, with no solver."""
    _assert_explanations_match_brute_force(doc, "cbc")


def _assert_explanations_match_brute_force(doc: dict, backend: str) -> None:
    """Every threshold an explanation states is the brute-force answer: `value_lost` is the
    optimum minus the optimum with the candidate forced the other way, `value_to_stay` and
    `value_to_enter` follow from it, and where nothing feasible forces it the other way the
    entry says so; all exact."""
    best, with_it, without_it = brute_force_forced(doc)
    if best is None:
        return
    result = optimizer.solve(doc, backend=backend, diagnose=False)
    assert result.status == "optimal"
    enumerated = verify.tiny(optimizer.Problem.from_dict(doc))
    for entry in result.explanations:
        if entry["reason"] not in ("value", "infeasible"):
            continue
        event(f"explained by {entry['method']}")
        assert (entry["method"] == "enumeration") == enumerated
        assert entry["computed"] is True and entry["exact"] is True
        forced = without_it if entry["selected"] else with_it
        if forced[entry["id"]] is None:
            assert entry["value_lost"] is None
            assert entry["reason"] == ("value" if entry["selected"] else "infeasible")
            continue
        lost = best - forced[entry["id"]]
        assert entry["reason"] == "value"
        assert entry["value_lost"] == pytest.approx(lost, abs=1e-6)
        if entry["selected"]:
            assert entry["value_to_stay"] == pytest.approx(entry["value"] - lost, abs=1e-6)
        else:
            assert entry["value_to_enter"] == pytest.approx(entry["value"] + lost, abs=1e-6)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(doc=timed_problems(max_candidates=6))
def test_time_notes_match_brute_force(doc):
    """What the explanations say in time, checked from the contract's words: `fits_at` is the
    first delay at which a left-out candidate fits beside the chosen portfolio in every
    budget, capacity and the tail budget (the other rules apart) and counts `worth` there;
    `value_per_period_to_enter`, as a flat stream where it accrues now, makes it worth
    `value_to_enter`; `despite` gives its negative impacts and tail and `margin` is the
    brute-force value it loses when forced out."""
    best, _, without_it = brute_force_forced(doc)
    if best is None:
        return
    result = optimizer.solve(doc, backend="highs", diagnose=False)
    chosen = choice_of(result)
    by_id = {c["id"]: c for c in doc["candidates"]}
    n = len(doc["periods"])
    limits_only = {
        k: doc[k]
        for k in ("schema", "periods", "candidates", "budget", "capacity", "run_cost_past_horizon")
        if k in doc
    }
    if "run_cost_past_horizon" in doc:
        limits_only["run_cost_past_horizon"] = doc["run_cost_past_horizon"]
    for e in result.explanations:
        c = by_id[e["id"]]
        if not e["selected"] and e["reason"] in ("value", "infeasible"):
            used = [doc["periods"].index(p) for p, v in c.get("cost", {}).items() if v]
            used += [
                doc["periods"].index(p)
                for per in c.get("effort", {}).values()
                for p, v in per.items()
                if v
            ]
            delays = [d for d in range(n) if max(used, default=-1) + d < n] if used else [0]
            fitting = [d for d in delays if check(limits_only, {**chosen, e["id"]: d})]
            event("fits" if fitting else "fits nowhere")
            if not fitting:
                assert e["fits_at"] is None
                continue
            fit = e["fits_at"]
            assert fit["delay"] == fitting[0]
            assert fit["allowed"] == (fitting[0] <= c.get("may_start_later_by", 0))
            assert fit["value"] == pytest.approx(worth(doc, c, fitting[0]), abs=1e-9)
            need = e.get("value_to_enter")
            accrues = [p for p, v in c.get("value_by_period", {}).items() if v]
            if need is not None and accrues:
                per = e["value_per_period_to_enter"]
                flat = dict(c, value_by_period=dict.fromkeys(accrues, per))
                if per > 0:
                    assert worth(doc, flat, 0) == pytest.approx(need, abs=1e-6)
                else:  # it would enter on its one-off value alone
                    assert worth(doc, flat, 0) >= need - 1e-6
        elif e["selected"] and e["reason"] == "value":
            s = chosen[e["id"]]
            tail = c.get("run_cost", 0) * len(_tail_years(doc, c, s))
            runs_on = c.get("run_cost") and (
                "lifetime" not in c or go_live(doc, c, s) + c["lifetime"] > n
            )
            hinders = c.get("negative_impact") or c.get("value", 0) < 0 or runs_on
            assert ("despite" in e) == bool(hinders)
            if "despite" not in e:
                continue
            event("despite")
            if c.get("negative_impact"):
                assert e["despite"]["negative_impact"] == c["negative_impact"]
            if tail:
                assert e["despite"]["run_cost_past_horizon"] == pytest.approx(tail)
            if without_it[e["id"]] is not None:
                assert e["margin"] == pytest.approx(best - without_it[e["id"]], abs=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
@EXPLAIN
@given(doc=timed_problems(max_candidates=6))
def test_explanations_at_a_gap_match_brute_force(backend, doc):
    """At the portal's gap (1e-4) every explanation that needs a value is worked out as at
    gap 0, within the gap: a candidate whose first pass found no selection forced the other
    way is re-solved, not left as "not computed" (a bracket with no side was taken as
    within any gap above 0)."""
    gap = 1e-4
    best, with_it, without_it = brute_force_forced(doc)
    if best is None:
        return
    with _no_enumeration():
        result = optimizer.solve(doc, backend=backend, gap=gap, diagnose=False)
    assert result.status == "optimal"
    slack = 2 * gap * max(abs(best), 1.0) + 1e-6
    for entry in result.explanations:
        if entry["reason"] not in ("value", "infeasible"):
            continue
        assert entry["computed"] is True, entry["text"]
        forced = without_it if entry["selected"] else with_it
        if forced[entry["id"]] is None:
            assert entry["value_lost"] is None
            continue
        event("value at stake")
        assert entry["value_lost"] == pytest.approx(best - forced[entry["id"]], abs=slack)
