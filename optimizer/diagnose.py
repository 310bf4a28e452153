"""Find a small set of named constraints that cannot hold together (an irreducible conflict)."""

from __future__ import annotations

import time
from typing import Any

from . import solvers, verify, wording
from .model import Group, Model, allowed_shifts

# Groups earlier in this order are tried for removal first, so the conflict that remains tends
# to be phrased in the decisions a portfolio manager made (forces, budgets, capacities).
_REMOVAL_ORDER = [
    "count_max",
    "count_min",
    "theme_share_max",
    "theme_min_share",
    "department_share_max",
    "department_share_min",
    "together",
    "exclusive",
    "requires",
    "capacity",
    "budget",
    "run_cost_past_horizon",
    "force_out",
    "force_in",
]


def find_conflict(model: Model, backend: str, time_limit: float) -> dict[str, Any]:
    """Shrink the full constraint set of an infeasible model to an irreducible infeasible subset.

    A deletion filter over constraint groups, removing chunks that halve in size: a chunk is
    dropped when the rest is still proven infeasible. The set kept is always proven infeasible;
    it is irreducible (`minimal: true`) when every single-group removal was checked and each
    removal that made the rest feasible did so with a selection checked exactly
    (optimizer/verify.py), not only within the solver's tolerance. Each check is a
    feasibility solve (zero objective), or on a tiny problem an exact enumeration; a solver's
    "infeasible" stands only when neither no selection nor the forced ones keep the rules
    (see `_Checks`). `time_limit` bounds the whole search.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    rank = {kind: k for k, kind in enumerate(_REMOVAL_ORDER)}
    kept: list[Group] = sorted(model.groups, key=lambda g: rank.get(g.kind, -1))
    checks = _Checks(model, backend)
    complete = True
    chunk = max(1, len(kept) // 2)
    while True:
        i = 0
        while i < len(kept):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                complete = False
                break
            trial = kept[:i] + kept[i + chunk :]
            if trial and checks.infeasible(trial, remaining):
                kept = trial
            else:
                i += chunk
        if not complete or chunk == 1:
            break
        chunk = max(1, chunk // 2)
    # Restore the problem's own order for reading.
    order = {id(g): k for k, g in enumerate(model.groups)}
    kept.sort(key=lambda g: order[id(g)])
    return {
        "text": summarize(model, kept),
        "constraints": [
            {"name": g.name, "kind": g.kind, **g.info, "text": wording.describe(g.kind, g.info)}
            for g in kept
        ],
        "minimal": complete and checks.exact,
        "checks": checks.count,
        "seconds": round(time.perf_counter() - t0, 4),
    }


class _Checks:
    """Is a set of groups infeasible? Each answer checked as far as exact arithmetic allows.

    On a tiny problem (few selections) by exact enumeration. Otherwise by a feasibility solve:
    "infeasible" stands only when no selection that needs no solver (none, the forced ones)
    keeps the groups exactly; "feasible" comes with the solver's selection, checked exactly
    against the groups, and `exact` turns false when one was not (the rest might still be
    infeasible, so the conflict is not called minimal).
    """

    def __init__(self, model: Model, backend: str):
        self.model = model
        self.backend = backend
        self.tiny = verify.tiny(model.problem)
        self.count = 0
        self.exact = True

    def infeasible(self, groups: list[Group], time_limit: float) -> bool:
        self.count += 1
        problem = self.model.problem
        names = [g.name for g in groups]
        if self.tiny:
            return verify.best(problem, names) is None
        try:
            run = solvers.solve(
                self.model.sub_matrix(groups, objective=False), self.backend, time_limit, 0.0
            )
        except solvers.SolverFailed:  # no verdict: the group stays, the search is not exact
            self.exact = False
            return False
        if run.status == "infeasible":
            return verify.witness(problem, names) is None
        if run.values is not None and verify.broken(
            problem, self.model.selection(run.values), names
        ):
            self.exact = False
        return False


def summarize(model: Model, groups: list[Group]) -> str:
    """One sentence naming the conflict, merging forced decisions into the rule they break."""
    problem = model.problem
    by_id = {c.id: c for c in problem.candidates}
    forced_in = [g.info["ids"][0] for g in groups if g.kind == "force_in"]
    forced_out = {g.info["ids"][0] for g in groups if g.kind == "force_out"}
    used_forces: set[str] = set()
    parts: list[str] = []
    for g in groups:
        if g.kind == "requires":
            a, b = g.info["ids"]
            head = f"{a} is forced in but requires {b}" if a in forced_in else f"{a} requires {b}"
            if a in forced_in:
                used_forces.add(f"in:{a}")
            if b in forced_out:
                head += ", which is forced out"
                used_forces.add(f"out:{b}")
            parts.append(head)
        elif g.kind in ("budget", "capacity") and forced_in:
            period = g.info["period"]
            q = problem.periods.index(period)
            need, payers = 0.0, []
            for cid in forced_in:
                c = by_id[cid]
                profile = c.cost if g.kind == "budget" else c.effort.get(g.info["pool"], {})
                # the least this candidate can put on the period, over its allowed starts
                least = min(
                    profile.get(problem.periods[q - s], 0.0) if q - s >= 0 else 0.0
                    for s in allowed_shifts(c, problem.periods)
                )
                if least > 0:
                    need += least
                    payers.append(cid)
            if need > g.info["limit"]:
                several = len(payers) > 1
                if g.kind == "budget":
                    what = f"{'together cost' if several else 'costs'} {wording.amount(need)}"
                    limit = f"the {period} budget of {wording.amount(g.info['limit'])}"
                else:
                    pool = g.info["pool"]
                    what = (
                        f"{'together need' if several else 'needs'} {wording.amount(need)} of "
                        f"{pool} effort"
                    )
                    limit = f"the {pool} capacity of {wording.amount(g.info['limit'])}"
                parts.append(
                    f"{wording.ids(payers)} {'are' if several else 'is'} forced in and {what} in "
                    f"{period}, more than {limit}"
                )
                used_forces.update(f"in:{cid}" for cid in payers)
            else:
                parts.append(wording.describe(g.kind, g.info))
        elif g.kind in ("force_in", "force_out"):
            continue
        else:
            parts.append(wording.describe(g.kind, g.info))
    for g in groups:
        cid = g.info.get("ids", [None])[0]
        if g.kind == "force_in" and f"in:{cid}" not in used_forces:
            parts.append(wording.describe(g.kind, g.info))
        if g.kind == "force_out" and f"out:{cid}" not in used_forces:
            parts.append(wording.describe(g.kind, g.info))
    if len(parts) == 1:
        text = parts[0]
        if len(groups) == 1:
            text += ", which no selection can meet"
        return text
    return "These cannot all hold: " + "; ".join(parts)
