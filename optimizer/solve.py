"""Solve a problem: run the solver, read the verdict, report binding rows and explanations."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import solvers, wording
from .diagnose import find_conflict
from .explain import explanations
from .model import Model, build_model, gc_paused, total_cost
from .model import write_mps as _write_mps
from .problem import RESULT_SCHEMA, Problem, validate
from .timing import Timing

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_GAP = 0.0
DEFAULT_EXPLAIN_TIME = 20.0
_TOL = 1e-6
# The result statuses that come with a portfolio (selection, spend, binding rows).
SOLVED = ("optimal", "feasible")


@dataclass
class Result:
    """The outcome of one solve (schema `converge.result/1`, see docs/optimizer.md)."""

    status: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    selected: list[dict[str, Any]] = field(default_factory=list)
    spend: dict[str, float] = field(default_factory=dict)
    usage: dict[str, dict[str, float]] = field(default_factory=dict)
    binding: list[dict[str, Any]] = field(default_factory=list)
    explanations: list[dict[str, Any]] = field(default_factory=list)
    value_by_period: dict[str, float] = field(default_factory=dict)
    discounted_value_by_period: dict[str, float] = field(default_factory=dict)
    run_cost_after_horizon: dict[str, Any] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    solver: dict[str, Any] = field(default_factory=dict)

    @property
    def selected_ids(self) -> list[str]:
        """Ids of the selected candidates, in problem order."""
        return [s["id"] for s in self.selected]

    def to_dict(self) -> dict[str, Any]:
        """Return the `converge.result/1` JSON-ready dict."""
        return {
            "schema": RESULT_SCHEMA,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "selected": self.selected,
            "spend": self.spend,
            "usage": self.usage,
            "binding": self.binding,
            "explanations": self.explanations,
            "value_by_period": self.value_by_period,
            "discounted_value_by_period": self.discounted_value_by_period,
            "run_cost_after_horizon": self.run_cost_after_horizon,
            "conflicts": self.conflicts,
            "errors": self.errors,
            "solver": self.solver,
        }


def solve(
    problem: Problem | Mapping[str, Any],
    backend: str = solvers.DEFAULT_BACKEND,
    time_limit: float = DEFAULT_TIME_LIMIT,
    gap: float = DEFAULT_GAP,
    *,
    explain: bool = True,
    explain_time_limit: float = DEFAULT_EXPLAIN_TIME,
    diagnose: bool = True,
    diagnose_time_limit: float | None = None,
    write_mps: str | None = None,
) -> Result:
    """Solve a portfolio problem (a `Problem` or its JSON dict) and return a `Result`.

    `time_limit` (seconds) and `gap` (relative, 0 = prove optimality) go to the solver as given.
    Invalid input never raises: it returns status `invalid` with `errors` by path.
    Explanations (`explain`) run only after a proven optimum and stop after
    `explain_time_limit` seconds; conflicts are searched for `diagnose_time_limit` seconds
    (default: the solve's time limit, at least 10 s).
    """
    solver_info: dict[str, Any] = {"backend": backend, "time_limit": time_limit, "gap_limit": gap}
    errors = _check_settings(backend, time_limit, gap)
    if errors:
        return Result("invalid", errors=errors, solver=solver_info)
    with gc_paused():
        errors = validate(problem)
        if not errors and not isinstance(problem, Problem):
            problem = Problem._from_valid(problem)
    if errors:
        return Result("invalid", errors=errors, solver=solver_info)
    assert isinstance(problem, Problem)

    model = build_model(problem)
    if write_mps:
        _write_mps(model.lp, write_mps)
    run = solvers.run(model.lp, backend, time_limit, gap)
    solver_info.update(
        build_seconds=round(model.build_seconds, 4),
        solve_seconds=round(run.seconds, 4),
        solver_seconds=None if run.solver_seconds is None else round(run.solver_seconds, 4),
        variables=sum(len(per) for per in model.starts),
        rows=len(model.lp.constraints()),
    )
    result = Result(run.status, run.objective, run.bound, run.gap, solver=solver_info)
    if run.status == "infeasible":
        if diagnose:
            limit = diagnose_time_limit
            if limit is None:
                limit = max(10.0, time_limit)
            result.conflicts = [find_conflict(model, backend, limit)]
            solver_info["diagnose_seconds"] = result.conflicts[0]["seconds"]
        return result
    if run.status not in ("optimal", "feasible"):
        return result

    chosen = read_selection(model)
    _report_selection(result, problem, chosen)
    if explain:
        t0 = time.perf_counter()
        result.explanations = explanations(
            model,
            chosen,
            run.objective or 0.0,
            backend,
            exact=run.status == "optimal",
            gap=gap,
            time_limit=explain_time_limit,
        )
        solver_info["explain_seconds"] = round(time.perf_counter() - t0, 4)
    return result


def _check_settings(backend: str, time_limit: Any, gap: Any) -> list[str]:
    errors = []
    if backend not in solvers.BACKENDS:
        errors.append(f"solver.backend: must be one of {', '.join(solvers.BACKENDS)}")
    if not isinstance(time_limit, int | float) or not time_limit > 0:
        errors.append("solver.time_limit: must be a number > 0")
    if not isinstance(gap, int | float) or not 0 <= gap < 1:
        errors.append("solver.gap: must be a number in [0, 1)")
    return errors


def read_selection(model: Model) -> dict[int, int]:
    """Candidate index -> chosen shift, for every selected candidate."""
    chosen = {}
    for i, per in enumerate(model.starts):
        for s, var in per:
            if (var.varValue or 0.0) > 0.5:
                chosen[i] = s
                break
    return chosen


def _report_selection(result: Result, problem: Problem, chosen: dict[int, int]) -> None:
    periods = problem.periods
    index = {p: k for k, p in enumerate(periods)}
    spend = dict.fromkeys(periods, 0.0)
    usage = {pool: dict.fromkeys(periods, 0.0) for pool in problem.capacity}
    timing = Timing(problem)
    stream = [0.0] * len(periods)
    tail = problem.run_cost_past_horizon
    years = tail.years if tail is not None else 0
    by_year = [0.0] * years
    yearly = 0.0
    for i, s in sorted(chosen.items()):
        c = problem.candidates[i]
        profile = [index[p] for p, v in c.cost.items() if v]
        for per in c.effort.values():
            profile.extend(index[p] for p, v in per.items() if v)
        first = (min(profile) if profile else 0) + s
        entry = {"id": c.id, "start": periods[first], "delay": s}
        entry["value"], tail_money = timing.terms(c, (s,))[0]
        if c.run_cost:
            live = timing.go_live(c, s)
            entry["go_live"] = periods[live] if live < len(periods) else None
            if tail is not None:
                entry["run_cost_past_horizon"] = tail_money
                for j in timing.tail_positions(c, s):
                    by_year[j - len(periods)] += c.run_cost
            if timing.runs_after_horizon(c, s):
                yearly += c.run_cost
        result.selected.append(entry)
        for j, v in timing.stream(c, s).items():
            stream[j] += v
        # zero amounts are skipped: they do not limit the start, so shifted they may fall
        # past the last period
        for p, v in c.cost.items():
            if v:
                spend[periods[index[p] + s]] += v
        for pool, per in c.effort.items():
            for p, v in per.items():
                if v:
                    usage[pool][periods[index[p] + s]] += v
    result.spend = spend
    result.usage = usage
    result.value_by_period = dict(zip(periods, stream, strict=True))
    result.discounted_value_by_period = {
        p: v * timing.factor[j] for j, (p, v) in enumerate(zip(periods, stream, strict=True))
    }
    if any(c.run_cost for c in problem.candidates):
        result.run_cost_after_horizon = {"yearly": yearly, "years": years or None}
        if tail is not None:
            result.run_cost_after_horizon.update(by_year=by_year, total=sum(by_year))
    result.binding = binding(problem, chosen, spend, usage)


def binding(
    problem: Problem,
    chosen: dict[int, int],
    spend: dict[str, float],
    usage: dict[str, dict[str, float]],
) -> list[dict[str, Any]]:
    """Budget, capacity, share and count constraints with their slack; binding when slack is 0."""
    rows: list[dict[str, Any]] = []

    def add(name: str, kind: str, limit: float, used: float, slack: float, **extra: Any) -> None:
        scale = max(1.0, abs(limit), abs(used))
        slack = 0.0 if abs(slack) <= _TOL * scale else slack
        row = {"name": name, "kind": kind, **extra, "limit": limit, "used": used}
        row.update(slack=slack, binding=slack == 0.0)
        row["text"] = _binding_text(row)
        rows.append(row)

    for p, limit in problem.budget.items():
        add(f"budget {p}", "budget", limit, spend[p], limit - spend[p], period=p)
    for pool, per in problem.capacity.items():
        for p, limit in per.items():
            used = usage[pool][p]
            add(f"capacity {pool} {p}", "capacity", limit, used, limit - used, pool=pool, period=p)
    selected = [problem.candidates[i] for i in chosen]
    total = sum(total_cost(c) for c in selected)

    def add_share(names: tuple[str, str], kinds: tuple[str, str], share, mine, **extra) -> None:
        """A share rule's rows (min, max) over the total selected cost."""
        extra["share"] = mine / total if total else 0.0
        if share.min > 0:
            low = share.min * total
            add(names[0], kinds[0], low, mine, mine - low, min=share.min, **extra)
        if share.max < 1:
            high = share.max * total
            add(names[1], kinds[1], high, mine, high - mine, max=share.max, **extra)

    for dept, share in problem.department_share.items():
        add_share(
            (f"department_share {dept} min", f"department_share {dept} max"),
            ("department_share_min", "department_share_max"),
            share,
            sum(total_cost(c) for c in selected if c.department == dept),
            department=dept,
        )
    for theme, share in problem.theme_share.items():
        add_share(
            (f"theme_min_share {theme}", f"theme_share {theme} max"),
            ("theme_min_share", "theme_share_max"),
            share,
            sum(total_cost(c) for c in selected if theme in c.themes),
            theme=theme,
        )
    tail = problem.run_cost_past_horizon
    if tail is not None and tail.budget is not None:
        timing = Timing(problem)
        used = sum(timing.tail_cost(problem.candidates[i], s) for i, s in chosen.items())
        add(
            "run_cost_past_horizon",
            "run_cost_past_horizon",
            tail.budget,
            used,
            tail.budget - used,
            years=tail.years,
        )
    if problem.count is not None:
        n = len(chosen)
        if problem.count.min > 0:
            add("count min", "count_min", problem.count.min, n, n - problem.count.min)
        if problem.count.max is not None:
            add("count max", "count_max", problem.count.max, n, problem.count.max - n)
    return rows


def _binding_text(row: dict[str, Any]) -> str:
    kind, used, limit = row["kind"], row["used"], row["limit"]
    state = "binding" if row["binding"] else f"slack {wording.amount(row['slack'])}"
    if kind == "budget":
        head = f"Budget {row['period']}: {wording.amount(used)} of {wording.amount(limit)} spent"
    elif kind == "capacity":
        head = (
            f"{row['pool']} {row['period']}: {wording.amount(used)} of {wording.amount(limit)} used"
        )
    elif kind == "run_cost_past_horizon":
        head = (
            f"Run cost in the {row['years']} years past the horizon: {wording.amount(used)} "
            f"of {wording.amount(limit)}"
        )
    elif kind.startswith("department_share") or kind.startswith("theme_"):
        who = row.get("department") or f"theme {row.get('theme')}"
        bound = (
            f"min {wording.percent(row['min'])}"
            if "min" in kind
            else (f"max {wording.percent(row['max'])}")
        )
        head = f"{who}: {wording.percent(row['share'])} of selected cost ({bound})"
    else:
        side = "at least" if kind == "count_min" else "at most"
        head = f"{used} selected ({side} {limit})"
    return f"{head}; {state}."


def explain(
    problem: Problem | Mapping[str, Any],
    result: Mapping[str, Any],
    ids: Iterable[str] | None = None,
    *,
    backend: str = solvers.DEFAULT_BACKEND,
    gap: float = DEFAULT_GAP,
    time_limit: float = DEFAULT_EXPLAIN_TIME,
) -> list[dict[str, Any]]:
    """Explanations of a solve done before, for the candidates `ids` (all when None).

    `result` is the solve's `converge.result/1` dict (its status, objective and `selected`
    with each one's `delay`); `problem` the problem it solved. This is what `solve` does
    with `explain=True`, split so that the candidates can be explained apart, in other
    processes or on other machines, and the parts put together in any order: the entries come
    in problem order, one per candidate asked for, as `solve` would have given them.
    """
    if not isinstance(problem, Problem):
        problem = Problem.from_dict(problem)
    if result.get("status") not in SOLVED:
        raise ValueError("only a solved result (optimal or feasible) can be explained")
    index = {c.id: i for i, c in enumerate(problem.candidates)}
    chosen = {index[entry["id"]]: int(entry.get("delay") or 0) for entry in result["selected"]}
    only = None if ids is None else {index[cid] for cid in ids}
    model = build_model(problem)
    return explanations(
        model,
        chosen,
        float(result.get("objective") or 0.0),
        backend,
        exact=result["status"] == "optimal",
        gap=gap,
        time_limit=time_limit,
        only=only,
    )
