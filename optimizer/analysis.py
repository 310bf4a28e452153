"""Budget frontier and value robustness: many solves of one problem, summarized for charts."""

from __future__ import annotations

import random
import statistics
from collections.abc import Mapping
from typing import Any

from . import solvers
from .problem import Problem, validate
from .solve import solve
from .timing import Timing

FRONTIER_SCHEMA = "converge.frontier/1"
ROBUSTNESS_SCHEMA = "converge.robustness/1"


def _as_problem(problem: Problem | Mapping[str, Any]) -> tuple[Problem | None, list[str]]:
    errors = validate(problem)
    if errors:
        return None, errors
    if isinstance(problem, Problem):
        return problem, []
    return Problem._from_valid(problem), []


def full_budget_factor(problem: Problem) -> float:
    """The smallest factor on every period's budget at which all candidates fit at once.

    Candidates are counted at their planned start; periods whose budget is 0 cannot be scaled
    and are left out. Returns 1.0 when no budget binds anything.
    """
    factor = 0.0
    for p, limit in problem.budget.items():
        if limit <= 0:
            continue
        need = sum(c.cost.get(p, 0.0) for c in problem.candidates)
        factor = max(factor, need / limit)
    return factor if factor > 0 else 1.0


def frontier(
    problem: Problem | Mapping[str, Any],
    points: int = 11,
    backend: str = solvers.DEFAULT_BACKEND,
    time_limit: float = 60.0,
    gap: float = 0.0,
) -> dict[str, Any]:
    """Optimal value as every period's budget is scaled by one factor from 0 to full.

    `points` evenly spaced factors from 0 to `full_budget_factor` (every candidate fits);
    each point gives the factor, the scaled budgets, status, objective, the selection and
    which candidates entered or left since the previous point. `time_limit` is per point.
    """
    base, errors = _as_problem(problem)
    if base is not None and not base.budget:
        errors = ["budget: the frontier scales budgets; the problem has none"]
    if not isinstance(points, int) or isinstance(points, bool) or points < 2:
        errors = [*errors, "points: must be an integer >= 2"]
    if errors or base is None:
        return {"schema": FRONTIER_SCHEMA, "status": "invalid", "errors": errors, "points": []}
    full = full_budget_factor(base)
    out: list[dict[str, Any]] = []
    previous: list[str] | None = None
    for k in range(points):
        factor = full * k / (points - 1)
        scaled = base.with_budget_factor(factor)
        result = solve(scaled, backend, time_limit, gap, explain=False, diagnose=False)
        chosen = result.selected_ids
        point: dict[str, Any] = {
            "factor": factor,
            "budget": scaled.budget,
            "status": result.status,
            "objective": result.objective,
            "bound": result.bound,
            "selected": chosen,
        }
        if result.status in ("optimal", "feasible"):
            before = set(previous or [])
            point["entered"] = [cid for cid in chosen if cid not in before]
            point["left"] = [cid for cid in (previous or []) if cid not in set(chosen)]
            previous = chosen
        out.append(point)
    return {
        "schema": FRONTIER_SCHEMA,
        "status": "ok",
        "full_factor": full,
        "backend": backend,
        "time_limit": time_limit,
        "gap_limit": gap,
        "points": out,
    }


def sample_values(problem: Problem, rng: random.Random) -> dict[str, float]:
    """One draw of every ranged candidate's value from triangular(value_low, value, value_high)."""
    values = {}
    for c in problem.candidates:
        low = c.value if c.value_low is None else c.value_low
        high = c.value if c.value_high is None else c.value_high
        if low < high:
            values[c.id] = rng.triangular(low, high, c.value)
    return values


def robustness(
    problem: Problem | Mapping[str, Any],
    samples: int = 100,
    seed: int = 0,
    backend: str = solvers.DEFAULT_BACKEND,
    time_limit: float = 60.0,
    gap: float = 0.0,
) -> dict[str, Any]:
    """Re-solve with values drawn from each candidate's triangular range, `samples` times.

    Reports each candidate's selection frequency, the spread of the optimal value, and how the
    planned portfolio (solved on the likely values) fares under the same draws. The draws come
    from `random.Random(seed)` in candidate order, so the same seed gives the same answer.
    """
    base, errors = _as_problem(problem)
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        errors = [*errors, "samples: must be an integer >= 1"]
    if not isinstance(seed, int) or isinstance(seed, bool):
        errors = [*errors, "seed: must be an integer"]
    if errors or base is None:
        return {"schema": ROBUSTNESS_SCHEMA, "status": "invalid", "errors": errors}
    planned = solve(base, backend, time_limit, gap, explain=False, diagnose=False)
    if planned.status not in ("optimal", "feasible"):
        return {
            "schema": ROBUSTNESS_SCHEMA,
            "status": planned.status,
            "errors": [],
            "planned": planned.to_dict(),
        }
    planned_ids = planned.selected_ids
    rng = random.Random(seed)
    pos = {c.id: i for i, c in enumerate(base.candidates)}
    counts = dict.fromkeys((c.id for c in base.candidates), 0)
    optimal_values: list[float] = []
    planned_values: list[float] = []
    statuses: dict[str, int] = {}
    planned_starts = [(pos[s["id"]], s["delay"]) for s in planned.selected]
    for _ in range(samples):
        drawn = sample_values(base, rng)
        problem_drawn = base.with_values(drawn)
        result = solve(problem_drawn, backend, time_limit, gap, explain=False)
        statuses[result.status] = statuses.get(result.status, 0) + 1
        if result.status not in ("optimal", "feasible"):
            continue
        for cid in result.selected_ids:
            counts[cid] += 1
        optimal_values.append(result.objective or 0.0)
        # the planned portfolio at its planned starts, valued as the objective values it
        timing = Timing(problem_drawn)
        planned_values.append(
            sum(timing.counted_value(problem_drawn.candidates[i], s) for i, s in planned_starts)
        )
    solved = len(optimal_values)
    return {
        "schema": ROBUSTNESS_SCHEMA,
        "status": "ok",
        "samples": samples,
        "seed": seed,
        "backend": backend,
        "time_limit": time_limit,
        "gap_limit": gap,
        "statuses": statuses,
        "planned": {"objective": planned.objective, "selected": planned_ids},
        "frequency": {cid: (n / solved if solved else 0.0) for cid, n in counts.items()},
        "objective": _spread(optimal_values),
        "planned_value": _spread(planned_values),
        "regret": _spread([o - p for o, p in zip(optimal_values, planned_values, strict=True)]),
    }


def _spread(xs: list[float]) -> dict[str, float | None]:
    if not xs:
        return dict.fromkeys(("min", "p05", "median", "mean", "p95", "max", "stdev"))
    ordered = sorted(xs)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "min": ordered[0],
        "p05": pct(0.05),
        "median": statistics.median(ordered),
        "mean": statistics.fmean(ordered),
        "p95": pct(0.95),
        "max": ordered[-1],
        "stdev": statistics.pstdev(ordered),
    }
