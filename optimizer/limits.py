"""Which budget and capacity limits hold a solved portfolio back, and why left-out ideas do not fit.

Reads a problem document and its result document (as `solve` returns them, or as a run
keeps them), so callers need not reason about binding rows themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .model import start_shifts
from .wording import amount

# Reasons under which an idea is out because of what it needs (not a link or a force).
_NEEDS_REASONS = ("value", "infeasible")


def limits(
    problem: Mapping[str, Any], result: Mapping[str, Any], out: Sequence[Mapping[str, Any]]
) -> tuple[list[dict], dict[str, str]]:
    """The result's limit rows, worded for people, and why each left-out idea does not fit
    (see `_limits`)."""
    rows, blocked, _ = _limits(problem, result, out)
    return rows, blocked


def shortfalls(
    problem: Mapping[str, Any], result: Mapping[str, Any], out: Sequence[Mapping[str, Any]]
) -> dict[str, list[dict]]:
    """For each left-out idea that fits at none of its starts: the budget and capacity rows
    it overflows at its first start, as {kind, pool, period, need, left, limit} (the facts
    behind the sentences of `limits`, for callers that word them their own way)."""
    return _limits(problem, result, out)[2]


def _limits(
    problem: Mapping[str, Any], result: Mapping[str, Any], out: Sequence[Mapping[str, Any]]
) -> tuple[list[dict], dict[str, str], dict[str, list[dict]]]:
    """The result's limit rows, worded for people, and why each left-out idea does not fit.

    `out` holds the result's explanations of the candidates left out. A budget or capacity
    row is *limiting* when it is used up (binding) or when what is left (its slack) is less
    than the cheapest need in that period among the ideas left out for their value (not
    those out for a force or a link): then no idea left out fits there without taking
    something out. Each such idea gets a sentence naming every row it does not fit in at
    any start it may take (the first start's rows are named). Returns the rows (copies of
    `result["binding"]`, with `text` reworded and `limiting` set) and id -> sentence.
    """
    periods = problem.get("periods", [])
    cands = {c["id"]: c for c in problem.get("candidates", [])}
    rows = [dict(b) for b in result.get("binding", [])]
    by_key = {
        (b["kind"], b.get("pool"), b.get("period")): b
        for b in rows
        if b["kind"] in ("budget", "capacity")
    }
    count_full = next((b for b in rows if b["kind"] == "count_max" and b.get("binding")), None)
    cheapest: dict[tuple, float] = {}
    blocked: dict[str, str] = {}
    short: dict[str, list[dict]] = {}
    for e in out:
        c = cands.get(e["id"])
        if c is None or e.get("reason") not in _NEEDS_REASONS:
            continue
        first = _needs(c, periods, 0)
        for key, need in first.items():
            if key in by_key:
                cheapest[key] = min(need, cheapest.get(key, need))
        shifts = start_shifts(
            c.get("cost", {}), c.get("effort", {}), c.get("may_start_later_by"), periods
        )
        tight = [
            [(by_key[k], v) for k, v in _needs(c, periods, s).items() if k in by_key]
            for s in shifts
        ]
        tight = [[(b, v) for b, v in per if v > b["slack"] + 1e-9] for per in tight]
        if all(tight):
            short[e["id"]] = [
                {
                    "kind": b["kind"],
                    "pool": b.get("pool"),
                    "period": b["period"],
                    "need": v,
                    "left": max(b["slack"], 0.0),
                    "limit": b["limit"],
                }
                for b, v in tight[0]
            ]
            blocked[e["id"]] = _does_not_fit(tight[0])
        elif count_full is not None:
            blocked[e["id"]] = (
                f"The count limit is reached: at most {amount(count_full['limit'])} ideas "
                "may be selected."
            )
        elif e.get("reason") == "value" and (e.get("value_lost") or 0) > 0:
            blocked[e["id"]] = (
                "It fits in what is left of every budget and capacity, so another setting "
                "(a share, the count or a together link) keeps it out."
            )
    for key, b in by_key.items():
        head = b["text"].rsplit("; ", 1)[0]  # 'Budget 2027: 483k of 600k spent'
        need = cheapest.get(key)
        if b["binding"]:
            b["text"] = f"{head}; used up."
        elif need is not None and b["slack"] < need - 1e-9:
            b["limiting"] = True
            b["text"] = (
                f"{head}; {amount(b['slack'])} left, less than the {amount(need)} the cheapest "
                f"idea left out needs in {b['period']}."
            )
        else:
            b["text"] = f"{head}; {amount(b['slack'])} left."
    return rows, blocked, short


def _does_not_fit(tight: list[tuple[dict, float]]) -> str:
    """Why an idea fits at none of its starts, from the rows it overflows at its first."""
    over_limit = [(b, v) for b, v in tight if v > b["limit"] + 1e-9]
    if over_limit:
        b, v = over_limit[0]
        if b["kind"] == "budget":
            return (
                f"On its own it costs {amount(v)} in {b['period']}, more than the whole "
                f"{b['period']} budget ({amount(b['limit'])})."
            )
        return (
            f"On its own it needs {amount(v)} of {b['pool']} in {b['period']}, more "
            f"than the pool's whole capacity ({amount(b['limit'])})."
        )
    parts = [f"{amount(v)} of {_row_name(b)} ({amount(max(b['slack'], 0))} left)" for b, v in tight]
    return f"Does not fit: it needs {_and(parts)}."


def _needs(c: Mapping[str, Any], periods: Sequence[str], shift: int) -> dict[tuple, float]:
    """(kind, pool, period) -> what the candidate puts on that budget or capacity row."""
    index = {p: k for k, p in enumerate(periods)}
    out: dict[tuple, float] = {}
    for p, v in c.get("cost", {}).items():
        if v:
            out[("budget", None, periods[index[p] + shift])] = v
    for pool, per in c.get("effort", {}).items():
        for p, v in per.items():
            if v:
                out[("capacity", pool, periods[index[p] + shift])] = v
    return out


def _row_name(row: Mapping[str, Any]) -> str:
    if row["kind"] == "budget":
        return f"the {row['period']} budget"
    return f"{row['pool']} {row['period']}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
