"""Build the PuLP model of a portfolio problem, one named constraint group per contract rule."""

from __future__ import annotations

import contextlib
import gc
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulp

from .problem import Candidate, Problem
from .timing import Timing

LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ


@dataclass
class Group:
    """One constraint of the contract (it may need several rows), named for people.

    `kind` is one of budget, capacity, requires, exclusive, together, force_in, force_out,
    department_share_min, department_share_max, theme_min_share, theme_share_max, count_min,
    count_max, run_cost_past_horizon.
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
        _add_rows(lp, self.structural + [row for group in groups for row in group.rows])
        return lp


def allowed_shifts(candidate: Candidate, periods: tuple[str, ...]) -> list[int]:
    """Start shifts 0..k whose shifted cost and effort stay within the listed periods."""
    return start_shifts(candidate.cost, candidate.effort, candidate.may_start_later_by, periods)


def start_shifts(
    cost: Mapping[str, float],
    effort: Mapping[str, Mapping[str, float]],
    may_start_later_by: int | None,
    periods: Sequence[str],
) -> list[int]:
    """Start shifts 0..k whose non-zero cost and effort, shifted, stay within the periods.

    Takes a candidate's fields, so it serves both a `Candidate` and a candidate of a problem
    document (a frozen run's dict).
    """
    most = int(may_start_later_by or 0)
    if not most:
        return [0]
    index = {p: k for k, p in enumerate(periods)}
    used = [index[p] for p, v in cost.items() if v]
    for per in effort.values():
        used.extend(index[p] for p, v in per.items() if v)
    if not used:
        return [0]
    last = max(used)
    return [s for s in range(most + 1) if last + s < len(periods)]


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
    """Build the maximization model; rows are expressions filled in place (see _build)."""
    t0 = time.perf_counter()
    with gc_paused():
        model = _build(problem)
    # counted here, not in _build: the collector's first pass over the new objects is part of it
    model.build_seconds = time.perf_counter() - t0
    return model


def _build(problem: Problem) -> Model:
    periods = problem.periods
    index = {p: k for k, p in enumerate(periods)}
    lp = pulp.LpProblem("converge", pulp.LpMaximize)

    # Resource rows are divided by their limit as they are filled (see _scale).
    budget_scale = {
        index[p]: _scale(limit, problem, lambda c: c.cost.values())
        for p, limit in problem.budget.items()
    }
    # Rows are filled in place (one dict insertion per entry, no intermediate pairs).
    budget_rows = {q: pulp.LpAffineExpression() for q in budget_scale}
    cap_scale = {
        (pool, index[p]): _scale(
            limit, problem, lambda c, pool=pool: c.effort.get(pool, {}).values()
        )
        for pool, per in problem.capacity.items()
        for p, limit in per.items()
    }
    cap_rows = {key: pulp.LpAffineExpression() for key in cap_scale}

    starts: list[list[tuple[int, pulp.LpVariable]]] = []
    objective = pulp.LpAffineExpression()
    structural: list[pulp.LpConstraint] = []
    timing = Timing(problem)
    tail = problem.run_cost_past_horizon
    tail_budget = tail is not None and tail.budget is not None
    penalized = tail is not None and bool(tail.penalty)
    tail_row = pulp.LpAffineExpression()
    tail_amounts: list[float] = []
    for i, c in enumerate(problem.candidates):
        # the plain value needs no arithmetic (the common case at 10,000 candidates)
        timed = bool(c.value_by_period) or (penalized and bool(c.run_cost))
        per_candidate = []
        cost = [(index[p], v) for p, v in c.cost.items() if v]
        effort = [
            (pool, index[p], v) for pool, per in c.effort.items() for p, v in per.items() if v
        ]
        shifts = allowed_shifts(c, periods)
        terms = timing.terms(c, shifts) if timed or (tail_budget and c.run_cost) else None
        for k, s in enumerate(shifts):
            var = lp.add_variable(f"x{i}_{s}", 0, 1, pulp.LpBinary)
            per_candidate.append((s, var))
            if terms is None:
                objective[var] = c.value
            else:
                objective[var], amount = terms[k]
                if tail_budget and amount:
                    tail_row[var] = amount
                    tail_amounts.append(amount)
            for q, v in cost:
                row = budget_rows.get(q + s)
                if row is not None:
                    row[var] = v / budget_scale[q + s]
            for pool, q, v in effort:
                key = (pool, q + s)
                row = cap_rows.get(key)
                if row is not None:
                    row[var] = v / cap_scale[key]
        starts.append(per_candidate)
        if len(per_candidate) > 1:
            structural.append(_row([(v, 1) for _, v in per_candidate], LE, 1, f"one_start_{i}"))
    lp.setObjective(objective)

    pos = {c.id: i for i, c in enumerate(problem.candidates)}

    def sel(cid: str, coef: float = 1.0) -> list[tuple[pulp.LpVariable, float]]:
        return [(v, coef) for _, v in starts[pos[cid]]]

    groups: list[Group] = []
    for p, limit in problem.budget.items():
        q = index[p]
        row = _row(budget_rows[q], LE, limit / budget_scale[q], f"budget_{q}")
        groups.append(Group(f"budget {p}", "budget", [row], {"period": p, "limit": limit}))
    for r, (pool, per) in enumerate(problem.capacity.items()):
        for p, limit in per.items():
            key = (pool, index[p])
            row = _row(cap_rows[key], LE, limit / cap_scale[key], f"capacity_{r}_{key[1]}")
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

    if tail_budget:
        # divided by the limit (or the largest amount when it is 0), as budget rows are
        scale = tail.budget or max(tail_amounts, default=0.0) or 1.0
        for var in tail_row:
            tail_row[var] /= scale
        row = _row(tail_row, LE, tail.budget / scale, "run_cost_past_horizon")
        info = {"years": tail.years, "limit": tail.budget}
        groups.append(Group("run_cost_past_horizon", "run_cost_past_horizon", [row], info))

    if problem.department_share or problem.theme_share:
        # T = total selected cost, defined by one dense row. Each share row keeps every
        # candidate's own cost: defining department totals by extra variables (so that each
        # share row had two entries) built faster but solved 6x slower (measured at 10,000).
        # Costs enter these rows divided by the largest candidate cost (see _scale).
        costs = [total_cost(c) for c in problem.candidates]
        unit = max(costs, default=0.0) or 1.0
        total = lp.add_variable("total_cost", 0, None, pulp.LpContinuous)
        Expr = pulp.LpAffineExpression
        total_def = Expr([(total, 1.0)])
        departments = {
            dept: Expr()
            for dept, share in problem.department_share.items()
            if share.min > 0 or share.max < 1
        }
        themes = {
            t: Expr() for t, share in problem.theme_share.items() if share.min > 0 or share.max < 1
        }
        for i, c in enumerate(problem.candidates):
            tc = costs[i] / unit
            if not tc:
                continue
            for _, v in starts[i]:
                total_def[v] = -tc
            row = departments.get(c.department)
            if row is not None:
                for _, v in starts[i]:
                    row[v] = tc
            for t in c.themes:
                row = themes.get(t)
                if row is not None:
                    for _, v in starts[i]:
                        row[v] = tc
        structural.append(_row(total_def, EQ, 0, "total_cost_def"))
        for k, (dept, share) in enumerate(problem.department_share.items()):
            if dept not in departments:
                continue
            info = {"department": dept, "min": share.min, "max": share.max}
            if share.min > 0:
                row = Expr(departments[dept])
                row[total] = -share.min
                groups.append(
                    Group(
                        f"department_share {dept} min",
                        "department_share_min",
                        [_row(row, GE, 0, f"dept_min_{k}")],
                        info,
                    )
                )
            if share.max < 1:
                row = departments[dept]
                row[total] = -share.max
                groups.append(
                    Group(
                        f"department_share {dept} max",
                        "department_share_max",
                        [_row(row, LE, 0, f"dept_max_{k}")],
                        info,
                    )
                )
        for k, (theme, share) in enumerate(problem.theme_share.items()):
            # kind and name of the lower bound stay those of the older theme_min_share field
            info = {"theme": theme, "min": share.min, "max": share.max}
            if share.min > 0:
                row = Expr(themes[theme])
                row[total] = -share.min
                row = _row(row, GE, 0, f"theme_min_{k}")
                groups.append(Group(f"theme_min_share {theme}", "theme_min_share", [row], info))
            if share.max < 1:
                row = themes[theme]
                row[total] = -share.max
                row = _row(row, LE, 0, f"theme_max_{k}")
                groups.append(Group(f"theme_share {theme} max", "theme_share_max", [row], info))

    if problem.count is not None:
        every = pulp.LpAffineExpression()
        every.update((v, 1.0) for per in starts for _, v in per)
        if problem.count.min > 0:
            row = _row(pulp.LpAffineExpression(every), GE, problem.count.min, "count_min")
            groups.append(Group("count min", "count_min", [row], {"limit": problem.count.min}))
        if problem.count.max is not None:
            row = _row(every, LE, problem.count.max, "count_max")
            groups.append(Group("count max", "count_max", [row], {"limit": problem.count.max}))

    _add_rows(lp, structural + [row for group in groups for row in group.rows])
    return Model(problem, lp, starts, groups, structural)


def _add_rows(lp: pulp.LpProblem, rows: list[pulp.LpConstraint]) -> None:
    """Add named rows with `LpProblem.extend`, which files them by name.

    `addConstraint` also registers every variable of every row, one Python call per
    coefficient (a third of the build at 50,000 candidates); PuLP lists a problem's
    variables from its rows whenever it needs them (`variables()`), so nothing is lost.
    """
    named = {row.name: row for row in rows}
    if len(named) != len(rows):
        raise ValueError("two rows of the model share a name")
    lp.extend(named)


def _scale(limit: float, problem: Problem, amounts) -> float:
    """The divisor of a resource row: its limit, or the largest amount when the limit is 0.

    Money runs to 1e9 while the binaries are 0/1; unscaled, HiGHS warns the model is badly
    scaled and slows down. Slack and binding are computed from the selection, not from here.
    `amounts(candidate)` gives a candidate's amounts of this resource (any period, since a
    later start moves them); it is only read for a limit of 0.
    """
    if limit > 0:
        return limit
    return max((v for c in problem.candidates for v in amounts(c)), default=0.0) or 1.0


def _row(terms, sense: int, rhs: float, name: str) -> pulp.LpConstraint:
    """A constraint on `terms`: an expression (kept as it is) or (variable, coefficient) pairs."""
    if not isinstance(terms, pulp.LpAffineExpression):
        terms = pulp.LpAffineExpression(terms)
    return pulp.LpConstraint(terms, sense, name, rhs)


# MPS has no standard place for the sense: an OBJSENSE section is an extension that PuLP's
# bundled CBC 2.10 reads without error and then ignores (it minimizes). So the objective is
# written negated, to be minimized by any reader, and the file says so.
MPS_NOTE = (
    "* converge.problem/1 portfolio model.\n"
    "* The objective row OBJ is the portfolio value NEGATED: minimize it (the MPS default).\n"
    "* The portfolio value (maximized by the optimizer) is MINUS the optimum of this file.\n"
)


def write_mps(lp: pulp.LpProblem, path: str | Path) -> None:
    """Write the model as MPS that any reader solves to the same optimum with nothing else:
    the objective negated and minimized, with MPS_NOTE as comment lines at the top."""
    lp.writeMPS(str(path), mpsSense=pulp.LpMinimize)
    text = Path(path).read_text()
    Path(path).write_text(MPS_NOTE + text)


def model_mps(problem: Problem) -> bytes:
    """The model the solver receives, as an MPS file (objective negated, see write_mps)."""
    model = build_model(problem)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "problem.mps"
        write_mps(model.lp, path)
        return path.read_bytes()
