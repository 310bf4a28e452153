"""Build the PuLP model of a portfolio problem, one named constraint group per contract rule."""

from __future__ import annotations

import contextlib
import gc
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pulp

from .problem import Candidate, Problem

LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ


@dataclass
class Group:
    """One constraint of the contract (it may need several rows), named for people.

    `kind` is one of budget, capacity, requires, exclusive, together, force_in, force_out,
    department_share_min, department_share_max, theme_min_share, count_min, count_max.
    """

    name: str
    kind: str
    rows: list[pulp.LpConstraint]
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Model:
    """The PuLP problem plus what is needed to read a selection back and to diagnose it."""

    problem: Problem
    lp: pulp.LpProblem
    # per candidate (problem order): list of (shift, variable); shift 0 is the planned start
    starts: list[list[tuple[int, pulp.LpVariable]]]
    groups: list[Group]
    structural: list[pulp.LpConstraint]
    build_seconds: float = 0.0

    def subproblem(self, groups: list[Group], objective: bool = False) -> pulp.LpProblem:
        """A new LpProblem on the same variables holding only the structural rows and `groups`.

        Used by the conflict search; with objective=False it is a pure feasibility question.
        """
        lp = pulp.LpProblem("converge_subset", pulp.LpMaximize)
        lp.setObjective(self.lp.objective if objective else pulp.LpAffineExpression())
        for row in self.structural:
            lp.addConstraint(row)
        for group in groups:
            for row in group.rows:
                lp.addConstraint(row)
        return lp


def allowed_shifts(candidate: Candidate, periods: tuple[str, ...]) -> list[int]:
    """Start shifts 0..k whose shifted cost and effort stay within the listed periods."""
    index = {p: k for k, p in enumerate(periods)}
    used = [index[p] for p, v in candidate.cost.items() if v]
    for per in candidate.effort.values():
        used.extend(index[p] for p, v in per.items() if v)
    if not used:
        return [0]
    last = max(used)
    return [s for s in range(candidate.may_start_later_by + 1) if last + s < len(periods)]


def total_cost(candidate: Candidate) -> float:
    """Cost over all periods (unchanged by a shifted start)."""
    return sum(candidate.cost.values())


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while many small objects are made.

    Building 50,000 candidates creates millions of tuples and PuLP objects, none of them
    garbage; with the collector on it re-scans them again and again (measured: 4x slower).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_model(problem: Problem) -> Model:
    """Build the maximization model; rows are built from (variable, coefficient) lists."""
    with gc_paused():
        return _build(problem)


def _build(problem: Problem) -> Model:
    t0 = time.perf_counter()
    periods = problem.periods
    index = {p: k for k, p in enumerate(periods)}
    lp = pulp.LpProblem("converge", pulp.LpMaximize)

    starts: list[list[tuple[int, pulp.LpVariable]]] = []
    objective: list[tuple[pulp.LpVariable, float]] = []
    structural: list[pulp.LpConstraint] = []
    budget_rows: dict[int, list] = {index[p]: [] for p in problem.budget}
    cap_rows: dict[tuple[str, int], list] = {
        (pool, index[p]): [] for pool, per in problem.capacity.items() for p in per
    }
    for i, c in enumerate(problem.candidates):
        per_candidate = []
        cost = [(index[p], v) for p, v in c.cost.items() if v]
        effort = [
            (pool, index[p], v) for pool, per in c.effort.items() for p, v in per.items() if v
        ]
        for s in allowed_shifts(c, periods):
            var = lp.add_variable(f"x{i}_{s}", 0, 1, pulp.LpBinary)
            per_candidate.append((s, var))
            objective.append((var, c.value))
            for q, v in cost:
                row = budget_rows.get(q + s)
                if row is not None:
                    row.append((var, v))
            for pool, q, v in effort:
                row = cap_rows.get((pool, q + s))
                if row is not None:
                    row.append((var, v))
        starts.append(per_candidate)
        if len(per_candidate) > 1:
            structural.append(_row([(v, 1) for _, v in per_candidate], LE, 1, f"one_start_{i}"))
    lp.setObjective(pulp.LpAffineExpression(objective))

    pos = {c.id: i for i, c in enumerate(problem.candidates)}

    def sel(cid: str, coef: float = 1.0) -> list[tuple[pulp.LpVariable, float]]:
        per = starts[pos[cid]]
        if len(per) == 1:
            return [(per[0][1], coef)]
        return [(v, coef) for _, v in per]

    groups: list[Group] = []
    for p, limit in problem.budget.items():
        q = index[p]
        row = _scaled_row(budget_rows[q], LE, limit, f"budget_{q}")
        groups.append(Group(f"budget {p}", "budget", [row], {"period": p, "limit": limit}))
    for r, (pool, per) in enumerate(problem.capacity.items()):
        for p, limit in per.items():
            q = index[p]
            row = _scaled_row(cap_rows[(pool, q)], LE, limit, f"capacity_{r}_{q}")
            info = {"pool": pool, "period": p, "limit": limit}
            groups.append(Group(f"capacity {pool} {p}", "capacity", [row], info))
    for k, (a, b) in enumerate(problem.requires):
        row = _row(sel(a) + sel(b, -1.0), LE, 0, f"requires_{k}")
        groups.append(Group(f"requires[{k}]", "requires", [row], {"ids": [a, b]}))
    for k, members in enumerate(problem.exclusive):
        row = _row([pair for cid in members for pair in sel(cid)], LE, 1, f"exclusive_{k}")
        groups.append(Group(f"exclusive[{k}]", "exclusive", [row], {"ids": list(members)}))
    for k, members in enumerate(problem.together):
        rows = [
            _row(sel(members[0]) + sel(cid, -1.0), EQ, 0, f"together_{k}_{j}")
            for j, cid in enumerate(members[1:], start=1)
        ]
        groups.append(Group(f"together[{k}]", "together", rows, {"ids": list(members)}))
    for cid in problem.force_in:
        row = _row(sel(cid), EQ, 1, f"force_in_{pos[cid]}")
        groups.append(Group(f"force_in {cid}", "force_in", [row], {"ids": [cid]}))
    for cid in problem.force_out:
        row = _row(sel(cid), EQ, 0, f"force_out_{pos[cid]}")
        groups.append(Group(f"force_out {cid}", "force_out", [row], {"ids": [cid]}))

    if problem.department_share or problem.theme_min_share:
        # T = total selected cost; one dense row, so each share row stays sparse.
        # Costs enter these rows divided by the largest candidate cost (see _scaled_row).
        unit = max((total_cost(c) for c in problem.candidates), default=0.0) or 1.0
        total = lp.add_variable("total_cost", 0, None, pulp.LpContinuous)
        pairs = [(total, 1.0)]
        for c in problem.candidates:
            tc = total_cost(c) / unit
            if tc:
                pairs.extend(sel(c.id, -tc))
        structural.append(_row(pairs, EQ, 0, "total_cost_def"))
        by_department: dict[str, list] = defaultdict(list)
        by_theme: dict[str, list] = defaultdict(list)
        for c in problem.candidates:
            tc = total_cost(c) / unit
            if not tc:
                continue
            if c.department in problem.department_share:
                by_department[c.department].extend(sel(c.id, tc))
            for t in c.themes:
                if t in problem.theme_min_share:
                    by_theme[t].extend(sel(c.id, tc))
        for k, (dept, share) in enumerate(problem.department_share.items()):
            info = {"department": dept, "min": share.min, "max": share.max}
            if share.min > 0:
                row = _row(by_department[dept] + [(total, -share.min)], GE, 0, f"dept_min_{k}")
                groups.append(
                    Group(f"department_share {dept} min", "department_share_min", [row], info)
                )
            if share.max < 1:
                row = _row(by_department[dept] + [(total, -share.max)], LE, 0, f"dept_max_{k}")
                groups.append(
                    Group(f"department_share {dept} max", "department_share_max", [row], info)
                )
        for k, (theme, share) in enumerate(problem.theme_min_share.items()):
            if share > 0:
                row = _row(by_theme[theme] + [(total, -share)], GE, 0, f"theme_min_{k}")
                info = {"theme": theme, "min": share}
                groups.append(Group(f"theme_min_share {theme}", "theme_min_share", [row], info))

    if problem.count is not None:
        every = [(v, 1.0) for per in starts for _, v in per]
        if problem.count.min > 0:
            row = _row(every, GE, problem.count.min, "count_min")
            groups.append(Group("count min", "count_min", [row], {"limit": problem.count.min}))
        if problem.count.max is not None:
            row = _row(every, LE, problem.count.max, "count_max")
            groups.append(Group("count max", "count_max", [row], {"limit": problem.count.max}))

    for row in structural:
        lp.addConstraint(row)
    for group in groups:
        for row in group.rows:
            lp.addConstraint(row)
    return Model(problem, lp, starts, groups, structural, time.perf_counter() - t0)


def _scaled_row(pairs: list, sense: int, rhs: float, name: str) -> pulp.LpConstraint:
    """A resource row divided by its limit (or its largest coefficient when the limit is 0).

    Money runs to 1e9 while the binaries are 0/1; unscaled, HiGHS warns the model is badly
    scaled and slows down. Slack and binding are computed from the selection, not from here.
    """
    scale = rhs if rhs > 0 else max((abs(c) for _, c in pairs), default=0.0)
    if scale <= 0 or scale == 1:
        return _row(pairs, sense, rhs, name)
    return _row([(v, c / scale) for v, c in pairs], sense, rhs / scale, name)


def _row(pairs: list, sense: int, rhs: float, name: str) -> pulp.LpConstraint:
    return pulp.LpConstraint(pulp.LpAffineExpression(pairs), sense, name, rhs)
