"""Fixtures for the optimizer tests: problem factory and an independent brute-force solver."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

BACKENDS = ["highs", "cbc"]


def make_problem(candidates: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A problem document with sensible defaults; `fields` override top-level entries."""
    doc: dict[str, Any] = {
        "schema": "converge.problem/1",
        "periods": ["2027", "2028", "2029"],
        "candidates": candidates,
    }
    doc.update(fields)
    return doc


def cand(cid: str, value: float, cost: dict[str, float] | None = None, **extra: Any) -> dict:
    """One candidate document."""
    return {"id": cid, "value": value, "cost": cost or {}, **extra}


def _shifts(c: dict, periods: list[str]) -> list[int]:
    index = {p: k for k, p in enumerate(periods)}
    used = [index[p] for p, v in c.get("cost", {}).items() if v]
    for per in c.get("effort", {}).values():
        used += [index[p] for p, v in per.items() if v]
    if not used:
        return [0]
    return [s for s in range(c.get("may_start_later_by", 0) + 1) if max(used) + s < len(periods)]


def check(doc: dict, choice: dict[str, int]) -> bool:
    """Does selecting `choice` (id -> shift) satisfy every rule of the contract? Exact arithmetic
    on the test data (integers and binary fractions), written apart from the model code."""
    periods = doc["periods"]
    index = {p: k for k, p in enumerate(periods)}
    by_id = {c["id"]: c for c in doc["candidates"]}
    spend = [0.0] * len(periods)
    usage: dict[str, list[float]] = {}
    for cid, s in choice.items():
        c = by_id[cid]
        for p, v in c.get("cost", {}).items():
            if v:  # a zero entry is no cost: it does not stop a later start
                spend[index[p] + s] += v
        for pool, per in c.get("effort", {}).items():
            row = usage.setdefault(pool, [0.0] * len(periods))
            for p, v in per.items():
                if v:
                    row[index[p] + s] += v
    for p, limit in doc.get("budget", {}).items():
        if spend[index[p]] > limit:
            return False
    for pool, per in doc.get("capacity", {}).items():
        for p, limit in per.items():
            if usage.get(pool, [0.0] * len(periods))[index[p]] > limit:
                return False
    sel = set(choice)
    if any(a in sel and b not in sel for a, b in doc.get("requires", [])):
        return False
    if any(sum(cid in sel for cid in g) > 1 for g in doc.get("exclusive", [])):
        return False
    if any(len({cid in sel for cid in g}) > 1 for g in doc.get("together", [])):
        return False
    if not set(doc.get("force_in", [])) <= sel or set(doc.get("force_out", [])) & sel:
        return False
    total = sum(sum(by_id[cid].get("cost", {}).values()) for cid in sel)
    for dept, share in doc.get("department_share", {}).items():
        mine = sum(
            sum(by_id[cid].get("cost", {}).values())
            for cid in sel
            if by_id[cid].get("department") == dept
        )
        if mine < share.get("min", 0) * total or mine > share.get("max", 1) * total:
            return False
    theme_bounds = {t: (v, 1) for t, v in doc.get("theme_min_share", {}).items()}
    for theme, share in doc.get("theme_share", {}).items():
        theme_bounds[theme] = (share.get("min", 0), share.get("max", 1))
    for theme, (low, high) in theme_bounds.items():
        mine = sum(
            sum(by_id[cid].get("cost", {}).values())
            for cid in sel
            if theme in by_id[cid].get("themes", [])
        )
        if mine < low * total or mine > high * total:
            return False
    tail = doc.get("run_cost_past_horizon")
    if tail is not None and tail.get("budget") is not None:
        used = sum(
            by_id[cid].get("run_cost", 0) * len(_tail_years(doc, by_id[cid], s))
            for cid, s in choice.items()
        )
        if used > tail["budget"] + 1e-9:
            return False
    count = doc.get("count")
    if count is not None:
        if len(sel) < count.get("min", 0):
            return False
        if count.get("max") is not None and len(sel) > count["max"]:
            return False
    return True


def _tail_years(doc: dict, c: dict, s: int) -> list[int]:
    """Positions past the horizon at which the candidate's run cost is counted."""
    tail = doc.get("run_cost_past_horizon")
    if tail is None or not c.get("run_cost"):
        return []
    n = len(doc["periods"])
    live = go_live(doc, c, s)
    lifetime = c.get("lifetime", 10**6)
    return [j for j in range(n, n + tail["years"]) if live <= j < live + lifetime]


def go_live(doc: dict, c: dict, s: int) -> int:
    """Position at which the run cost of `c` started `s` late begins: its `go_live`, else the
    period after its last non-zero cost or effort entry (the first for none), shifted by s."""
    periods = doc["periods"]
    if "go_live" in c:
        return periods.index(c["go_live"]) + s
    used = [periods.index(p) for p, v in c.get("cost", {}).items() if v]
    used += [periods.index(p) for per in c.get("effort", {}).values() for p, v in per.items() if v]
    return (max(used) + 1 if used else 0) + s


def worth(doc: dict, c: dict, s: int) -> float:
    """What candidate `c` started `s` periods late adds to the objective, from the contract's
    words: one-off value + discounted stream shifted by s (lost past the end) - penalty x
    discounted run cost in the years counted past the horizon."""
    n = len(doc["periods"])
    r = doc.get("discount_rate", 0)
    total = c.get("value", 0)
    for p, v in c.get("value_by_period", {}).items():
        j = doc["periods"].index(p) + s
        if j < n:
            total += v / (1 + r) ** j
    penalty = (doc.get("run_cost_past_horizon") or {}).get("penalty", 0)
    for j in _tail_years(doc, c, s):
        total -= penalty * c["run_cost"] / (1 + r) ** j
    return total


def choices(doc: dict):
    """Every selection and start (id -> shift) with each candidate's start within the periods,
    whether or not it satisfies the other rules."""
    options = [[None, *_shifts(c, doc["periods"])] for c in doc["candidates"]]
    for combo in itertools.product(*options):
        yield {c["id"]: s for c, s in zip(doc["candidates"], combo, strict=True) if s is not None}


def feasible_choices(doc: dict):
    """Every selection and start that satisfies the contract, with its value."""
    by_id = {c["id"]: c for c in doc["candidates"]}
    for choice in choices(doc):
        if check(doc, choice):
            yield choice, sum(worth(doc, by_id[cid], s) for cid, s in choice.items())


def brute_force(doc: dict) -> float | None:
    """The optimal value by enumerating every selection and start; None when infeasible."""
    return max((value for _, value in feasible_choices(doc)), default=None)


def brute_force_forced(doc: dict) -> tuple[float | None, dict, dict]:
    """One enumeration for the optimum and, per candidate id, the optimum with it forced in
    and with it forced out (None where nothing feasible includes or leaves it out)."""
    ids = [c["id"] for c in doc["candidates"]]
    best = None
    with_it: dict[str, float | None] = dict.fromkeys(ids)
    without_it: dict[str, float | None] = dict.fromkeys(ids)
    for choice, value in feasible_choices(doc):
        if best is None or value > best:
            best = value
        for cid in ids:
            side = with_it if cid in choice else without_it
            if side[cid] is None or value > side[cid]:
                side[cid] = value
    return best, with_it, without_it


def choice_of(result) -> dict[str, int]:
    """id -> shift of a result's selection."""
    return {s["id"]: s["delay"] for s in result.selected}


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each test taking `backend` runs on HiGHS and on CBC."""
    return request.param
