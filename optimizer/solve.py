"""Solve a problem: run the solver, read the verdict, report binding rows and explanations."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from . import solvers, verify, wording
from .diagnose import find_conflict
from .model import LE, Matrix, Model, build_model, gc_paused
from .model import write_mps as _write_mps
from .problem import RESULT_SCHEMA, Problem, validate
from .reasons import explanations
from .timing import Timing

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_GAP = 0.0
DEFAULT_EXPLAIN_TIME = 20.0
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
    Every answer is checked exactly on the problem's numbers before it is reported (see
    `_solve_checked`). Explanations (`explain`) run only after a proven optimum and stop after
    `explain_time_limit` seconds; conflicts are searched for `diagnose_time_limit` seconds
    (default: the solve's time limit, at least 10 s).
    """
    settings = {
        "time_limit": time_limit,
        "gap": gap,
        "explain_time_limit": explain_time_limit,
        "diagnose_time_limit": diagnose_time_limit,
    }
    errors = check_settings(backend, settings)
    # echoed as given when JSON can hold them (nan and inf it cannot)
    solver_info: dict[str, Any] = {
        "backend": backend if isinstance(backend, str) else None,
        "time_limit": time_limit if _finite(time_limit) else None,
        "gap_limit": gap if _finite(gap) else None,
    }
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
        _write_mps(model, write_mps)
    t0 = time.perf_counter()
    try:
        found = _solve_checked(model, backend, time_limit, gap)
    except solvers.SolverFailed as exc:
        solver_info.update(build_seconds=round(model.build_seconds, 4))
        return Result("no_solution", errors=[f"solver: {exc}"], solver=solver_info)
    solver_info.update(
        build_seconds=round(model.build_seconds, 4),
        solve_seconds=round(found.call_seconds, 4),
        solver_seconds=None if found.solver_seconds is None else round(found.solver_seconds, 4),
        check_seconds=round(time.perf_counter() - t0 - found.call_seconds, 4),
        variables=sum(len(per) for per in model.columns),
        rows=len(model.matrix.rhs),
        **found.notes,
    )
    result = Result(found.status, found.objective, found.bound, found.gap, solver=solver_info)
    if found.status == "infeasible":
        if diagnose:
            limit = diagnose_time_limit
            if limit is None:
                limit = max(10.0, time_limit)
            result.conflicts = [find_conflict(model, backend, limit)]
            solver_info["diagnose_seconds"] = result.conflicts[0]["seconds"]
        return result
    if found.chosen is None:
        return result

    chosen = found.chosen
    _report_selection(result, problem, chosen, found.totals)
    if explain:
        t0 = time.perf_counter()
        result.explanations = explanations(
            model,
            chosen,
            found.objective or 0.0,
            backend,
            exact=found.status == "optimal",
            gap=gap,
            time_limit=explain_time_limit,
        )
        solver_info["explain_seconds"] = round(time.perf_counter() - t0, 4)
    return result


# The longest time limit taken (seconds; about 31 years): a bound, so any int converts.
MAX_SECONDS = 1e9


def check_settings(backend: Any, settings: Mapping[str, Any]) -> list[str]:
    """Solver settings by path; time limits are finite numbers of seconds up to MAX_SECONDS
    (nan and inf are no time limit) and the gap a number in [0, 1)."""
    errors = []
    if backend not in solvers.BACKENDS:
        errors.append(f"solver.backend: must be one of {', '.join(solvers.BACKENDS)}")

    def seconds(v: Any, low: float, strict: bool) -> bool:
        return _finite(v) and (v > low if strict else v >= low) and v <= MAX_SECONDS

    if not seconds(settings["time_limit"], 0, True):
        errors.append("solver.time_limit: must be a finite number > 0 (seconds, at most 1e9)")
    if not _finite(settings["gap"]) or not 0 <= settings["gap"] < 1:
        errors.append("solver.gap: must be a number in [0, 1)")
    if not seconds(settings["explain_time_limit"], 0, False):
        errors.append(
            "solver.explain_time_limit: must be a finite number >= 0 (seconds, at most 1e9)"
        )
    limit = settings["diagnose_time_limit"]
    if limit is not None and not seconds(limit, 0, True):
        errors.append(
            "solver.diagnose_time_limit: must be a finite number > 0 (seconds, at most 1e9)"
        )
    return errors


def _finite(v: Any) -> bool:
    """A finite number (an int of any size, a float but nan and inf; not a bool)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    return isinstance(v, int) or math.isfinite(v)


@dataclass
class _Found:
    """A checked answer: the selection (None without one) and what is proven about it."""

    status: str
    chosen: dict[int, int] | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    totals: verify.Tally | None = None
    solver_seconds: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    call_seconds: float = 0.0  # wall time of the solver calls: hand over, solve, read back


# The attempts of _solve_checked: (other backend?, finer divisors?).
_ATTEMPTS = ((False, False), (False, True), (False, True), (False, True), (True, True))


def _solve_checked(model: Model, backend: str, time_limit: float, gap: float) -> _Found:
    """`_search`, with the wall time of its solver calls (`_Found.call_seconds`)."""
    calls: list[float] = []

    def call(matrix, name: str, limit: float) -> solvers.SolverRun:
        run = solvers.solve(matrix, name, limit, gap)
        calls.append(run.seconds)
        return run

    found = _search(model, backend, time_limit, gap, call)
    found.call_seconds = sum(calls)
    return found


def _search(model: Model, backend: str, time_limit: float, gap: float, call) -> _Found:
    """Solve (`call(matrix, backend, time_limit)`) and check the answer exactly
    (optimizer/verify.py) before it is reported.

    Tiny problems (`verify.tiny`) are enumerated in exact arithmetic. Otherwise the model is
    solved; an answer that breaks a rule (by the solver's tolerance) is first repaired
    (`_repaired`: kept when it is optimal within the gap), else solved again, within the one
    time limit, with a cut for each rule broken (`_cuts`: no selection that keeps every rule
    is cut off, so each solve's bound and status stand) and finer divisors
    (`build_model(steps=True)`: for numbers in whole steps, cents or units or hundreds, the
    tolerance is then under one step and cannot break a limit). The last attempt is on the
    other backend, as is the next one after an `infeasible` verdict that a kept selection
    contradicts (none, the forced ones, or the repaired one): CBC called a problem whose
    empty selection fits infeasible, HiGHS did not. Failing all: the repaired answer, or a
    selection needing no solver, as `feasible`, or `no_solution` with a note.
    """
    problem = model.problem
    if verify.tiny(problem):
        best = verify.best(problem)
        if best is None:
            return _Found("infeasible", notes={"method": "enumeration"})
        return _checked(problem, best, None, "optimal", notes={"method": "enumeration"})

    deadline = time.perf_counter() + time_limit
    other = next(b for b in solvers.BACKENDS if b != backend)
    seconds = 0.0
    cuts: list[tuple[list[int], float, bool]] = []
    stepped = None
    repaired = None
    attempt = 0
    while attempt < len(_ATTEMPTS):
        switch, steps = _ATTEMPTS[attempt]
        remaining = deadline - time.perf_counter()
        if attempt and remaining <= 0:
            break
        if steps and stepped is None:
            stepped = build_model(problem, steps=True)
        solved = stepped if steps else model
        name = other if switch else backend
        run = call(_with_cuts(solved.matrix, cuts), name, remaining)
        seconds += run.solver_seconds or 0.0
        notes = {"attempts": attempt + 1, "ran": name, "cuts": len(cuts)} if attempt else {}
        attempt += 1
        if run.status == "infeasible":
            if repaired is None and verify.witness(problem) is None:
                return _Found("infeasible", solver_seconds=seconds, notes=notes)
            attempt = max(attempt, len(_ATTEMPTS) - 1)  # contradicted: a second opinion
            continue
        if run.values is None:
            if attempt == 1:
                return _Found(run.status, solver_seconds=seconds)
            break
        chosen = solved.selection(run.values)
        totals = verify.tally(problem, chosen)
        broken = [r for r in verify.rows(problem, chosen, totals) if not r.ok]
        if not broken:
            return _checked(problem, chosen, run.bound, run.status, seconds, notes, totals=totals)
        if repaired is None:
            repaired = _repaired(problem, chosen, broken, run, seconds, notes, gap)
            if repaired is not None and repaired.status == "optimal":
                return repaired
        cuts += _cuts(solved, run.values, broken)
    if repaired is not None:
        return repaired
    witness = verify.witness(problem)
    if witness is not None:
        note = "the solvers gave no answer that keeps every rule; this one needs no solver"
        return _checked(problem, witness, None, "feasible", seconds, {"note": note})
    note = "the solvers' answers broke a limit by their tolerance"
    return _Found("no_solution", solver_seconds=seconds, notes={"note": note})


def _repaired(
    problem: Problem,
    chosen: dict[int, int],
    broken: list[verify.Row],
    run: solvers.SolverRun,
    seconds: float,
    notes: dict[str, Any],
    gap: float,
) -> _Found | None:
    """The answer repaired (`verify.repair`): `optimal` when its value is within the gap
    limit of the solve's bound (a bound of the problem itself), else `feasible`."""
    totals = verify.repair(problem, chosen)
    if totals is None:
        return None
    notes = {**notes, "repaired": sorted(r.name for r in broken)}
    chosen = dict(totals.chosen)
    return _checked(problem, chosen, run.bound, run.status, seconds, notes, gap, totals)


# Rules whose row holds only amounts >= 0 (cost, effort, run cost): a cover cuts them.
_COVERED = {"budget", "capacity", "run_cost_past_horizon"}


def _cuts(
    model: Model, values: list[float], broken: list[verify.Row]
) -> list[tuple[list[int], float, bool]]:
    """Rows that cut off the answer `values` without cutting off any selection that keeps
    every rule: (columns, most, others) meaning the sum of those columns, minus every other
    integer column when `others`, is at most `most`.

    A broken budget, capacity or run-cost row: the chosen columns with an amount in it
    overspend it, so not all of them (a cover: at most all but one). Any other broken rule
    (a share): not this selection again (chosen ones minus the others at most all but one).
    """
    m = model.matrix
    chosen = [k for k, x in enumerate(values) if m.integer[k] and x > 0.5]
    by_name = {g.name: g for g in model.groups}
    out = []
    for row in broken:
        group = by_name.get(row.name)
        if row.kind in _COVERED and group is not None and len(group.rows) == 1:
            r = group.rows[0]
            cover = [k for k in m.index[m.starts[r] : m.starts[r + 1]] if values[k] > 0.5]
            out.append((cover, len(cover) - 1.0, False))
        else:
            out.append((chosen, len(chosen) - 1.0, True))
    return out


def _with_cuts(matrix: Matrix, cuts: list[tuple[list[int], float, bool]]) -> Matrix:
    """The matrix with the cuts as rows (`cut_<k>`, at most their right-hand side)."""
    if not cuts:
        return matrix
    names, sense, rhs = list(matrix.row_names), list(matrix.sense), list(matrix.rhs)
    starts, index, value = list(matrix.starts), list(matrix.index), list(matrix.value)
    for k, (columns, most, others) in enumerate(cuts):
        names.append(f"cut_{k}")
        sense.append(LE)
        rhs.append(most)
        index += columns
        value += [1.0] * len(columns)
        if others:
            mine = set(columns)
            rest = [j for j, is_int in enumerate(matrix.integer) if is_int and j not in mine]
            index += rest
            value += [-1.0] * len(rest)
        starts.append(len(index))
    return replace(
        matrix, row_names=names, sense=sense, rhs=rhs, starts=starts, index=index, value=value
    )


def _checked(
    problem: Problem,
    chosen: dict[int, int],
    bound: float | None,
    status: str,
    solver_seconds: float | None = None,
    notes: dict[str, Any] | None = None,
    gap: float | None = None,
    totals: verify.Tally | None = None,
) -> _Found:
    """A selection that keeps every rule, with its exact value and the solver's `status`
    and `bound`. With `gap` (an answer changed after the solve) `optimal` stands only when
    the value is within that gap of the bound. The enumeration's optimum is its own bound."""
    totals = totals or verify.tally(problem, chosen)
    objective = float(totals.value)
    if notes and notes.get("method") == "enumeration":
        bound = objective
    if bound is not None:
        bound = max(bound, objective)  # a bound below a checked value is the solver's rounding
    found_gap = solvers.gap_of(objective, bound)
    if gap is not None and status == "optimal" and (found_gap is None or found_gap > gap + 1e-9):
        status = "feasible"
    return _Found(status, chosen, objective, bound, found_gap, totals, solver_seconds, notes or {})


def _report_selection(
    result: Result, problem: Problem, chosen: dict[int, int], totals: verify.Tally
) -> None:
    periods = problem.periods
    timing = Timing(problem)
    stream = [0.0] * len(periods)
    tail = problem.run_cost_past_horizon
    years = tail.years if tail is not None else 0
    by_year = [0.0] * years
    yearly = 0.0
    index = {p: k for k, p in enumerate(periods)}
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
    result.spend = {p: float(v) for p, v in totals.spend.items()}
    result.usage = {
        pool: {p: float(v) for p, v in per.items()} for pool, per in totals.usage.items()
    }
    result.value_by_period = dict(zip(periods, stream, strict=True))
    result.discounted_value_by_period = {
        p: v * timing.factor[j] for j, (p, v) in enumerate(zip(periods, stream, strict=True))
    }
    if any(c.run_cost for c in problem.candidates):
        result.run_cost_after_horizon = {"yearly": yearly, "years": years or None}
        if tail is not None:
            result.run_cost_after_horizon.update(by_year=by_year, total=sum(by_year))
    result.binding = binding(problem, chosen, totals)


# The rules reported in `binding` (limits with slack); links and forces are kept or broken.
_LIMIT_KINDS = {"budget", "capacity", "run_cost_past_horizon", "count_min", "count_max"}


def binding(
    problem: Problem, chosen: dict[int, int], totals: verify.Tally | None = None
) -> list[dict[str, Any]]:
    """Budget, capacity, share and count constraints with their exact slack; binding when
    the slack is exactly 0 (computed by optimizer/verify.py, rounded once to a float)."""
    totals = totals or verify.tally(problem, chosen)
    out: list[dict[str, Any]] = []
    total = totals.total
    for row in verify.rows(problem, chosen, totals):
        share = row.kind.startswith("department_share") or row.kind.startswith("theme_")
        if row.kind not in _LIMIT_KINDS and not share:
            continue
        slack = row.slack
        entry: dict[str, Any] = {"name": row.name, "kind": row.kind}
        if share:
            low = row.kind in ("department_share_min", "theme_min_share")
            entry.update({k: v for k, v in row.info.items() if k != ("max" if low else "min")})
            entry["share"] = float(row.used) / float(total) if total else 0.0
        else:
            entry.update(row.info)
        number = int if row.kind.startswith("count") else float
        entry.update(
            limit=number(row.limit),
            used=number(row.used),
            slack=number(slack),
            binding=slack == 0,
        )
        entry["text"] = _binding_text(entry)
        out.append(entry)
    return out


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
