"""Run a PuLP model on HiGHS (highspy, in process) or CBC (bundled binary) and read the verdict."""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import pulp

BACKENDS = ("highs", "cbc")
DEFAULT_BACKEND = "cbc"

_quiet_lock = threading.RLock()
_banner_shown = False


@dataclass
class SolverRun:
    """What one solver call established, in the contract's words."""

    status: str  # optimal | feasible | infeasible | no_solution
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float  # wall time of the PuLP call: hand over, solve, read back
    solver_seconds: float | None  # time the solver itself reports


@contextlib.contextmanager
def stdout_to_stderr():
    """Point file descriptor 1 at stderr while the block runs (solver banners, C-level prints)."""
    with _quiet_lock:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            os.dup2(2, 1)
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def _swallow_highs_banner() -> None:
    # highspy prints its banner to fd 1 when the first Highs object of the process is made,
    # whatever output_flag says; make that first object here, with fd 1 pointed at stderr.
    global _banner_shown
    if _banner_shown:
        return
    import highspy

    with stdout_to_stderr():
        highspy.Highs()
    _banner_shown = True


def cbc_path() -> str:
    """The CBC binary bundled with PuLP 3.x (fall back to `cbc` on PATH)."""
    from pulp.apis import coin_api

    path = getattr(coin_api, "pulp_cbc_path", None)
    return path if path and os.path.exists(path) else "cbc"


def run(
    lp: pulp.LpProblem,
    backend: str,
    time_limit: float,
    gap: float,
    threads: int = 1,
) -> SolverRun:
    """Solve `lp` (a maximization) with an explicit time limit and relative gap."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; use one of {BACKENDS}")
    time_limit = max(float(time_limit), 0.01)
    if backend == "highs":
        return _run_highs(lp, time_limit, gap)
    return _run_cbc(lp, time_limit, gap, threads)


class BulkHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface, handing the model over in bulk.

    PuLP 3.3's `HiGHS` makes one Python-to-C++ call per column and per row and lists the
    problem's variables three times (each a pass over every coefficient): measured 2.3 s of
    hand-over for a 4 s solve at 50,000 candidates. This passes the columns, the integrality
    and the row matrix (compressed rows) in three calls, and reads the values back in one
    pass. Options, the solver and the statuses are PuLP's; only what a portfolio solve reads
    back is set: each variable's value and the problem's status.
    """

    def actualSolve(self, lp: pulp.LpProblem, callback=None) -> int:
        import highspy
        import numpy as np

        self.createAndConfigureSolver(lp)
        highs = lp.solverModel
        inf = highspy.kHighsInf
        variables = lp.variables()
        column = {id(v): k for k, v in enumerate(variables)}
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        objective = lp.objective
        highs.addCols(
            len(variables),
            np.array([sign * objective.get(v, 0.0) for v in variables], dtype=np.float64),
            np.array([-inf if v.lowBound is None else v.lowBound for v in variables], np.float64),
            np.array([inf if v.upBound is None else v.upBound for v in variables], np.float64),
            0,
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0, np.float64),
        )
        integer = [k for k, v in enumerate(variables) if v.cat == pulp.LpInteger]
        if integer and self.mip:
            highs.changeColsIntegrality(
                len(integer),
                np.array(integer, np.int32),
                np.full(len(integer), int(highspy.HighsVarType.kInteger), np.uint8),
            )
        rows = lp.constraints()
        starts, index, value, lower, upper = [], [], [], [], []
        for row in rows:
            starts.append(len(index))
            for var, coef in row.expr.items():
                if coef:
                    index.append(column[id(var)])
                    value.append(coef)
            lb, ub = row.getLb(), row.getUb()
            lower.append(-inf if lb is None else lb)
            upper.append(inf if ub is None else ub)
        highs.addRows(
            len(rows),
            np.array(lower, np.float64),
            np.array(upper, np.float64),
            len(index),
            np.array(starts, np.int32),
            np.array(index, np.int32),
            np.array(value, np.float64),
        )
        highs.run()
        model_status = highs.getModelStatus()
        has_point = highs.getInfo().primal_solution_status == 2
        if has_point:
            for var, x in zip(variables, highs.getSolution().col_value, strict=True):
                var.varValue = x
        kind = highspy.HighsModelStatus
        if model_status == kind.kOptimal:
            status, sol_status = pulp.LpStatusOptimal, pulp.LpSolutionOptimal
        elif model_status in (kind.kInfeasible, kind.kUnboundedOrInfeasible):
            status, sol_status = pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible
        elif model_status == kind.kUnbounded:
            status, sol_status = pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded
        elif has_point:
            # stopped early (time limit, interrupt) with an incumbent
            status, sol_status = pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible
        else:
            status, sol_status = pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound
        lp.assignStatus(status, sol_status)
        return status


def _run_highs(lp: pulp.LpProblem, time_limit: float, gap: float) -> SolverRun:
    _swallow_highs_banner()
    # mip_abs_gap defaults to 1e-6, which only matters for tiny objectives; keep it.
    solver = BulkHiGHS(msg=False, timeLimit=time_limit, gapRel=gap)
    t0 = time.perf_counter()
    lp.solve(solver)
    seconds = time.perf_counter() - t0
    highs = lp.solverModel
    info = highs.getInfo()
    has_point = info.primal_solution_status == 2
    if lp.status == pulp.LpStatusInfeasible or lp.sol_status == pulp.LpSolutionInfeasible:
        status = "infeasible"
    elif lp.sol_status == pulp.LpSolutionOptimal and has_point:
        status = "optimal"
    elif has_point:
        status = "feasible"
    else:
        status = "no_solution"
    objective = bound = None
    if status in ("optimal", "feasible"):
        objective = float(pulp.value(lp.objective) or 0.0)
        # PuLP hands HiGHS the negated objective; the dual bound comes back negated too.
        bound = -float(info.mip_dual_bound) if lp.sense == pulp.LpMaximize else None
        if bound is None or not math.isfinite(bound):
            bound = objective if status == "optimal" else None
    return SolverRun(
        status,
        objective,
        bound,
        _gap(objective, bound),
        seconds,
        float(highs.getRunTime()),
    )


_CBC_NUMBER = r"(-?[0-9.eE+-]+)"


def _run_cbc(lp: pulp.LpProblem, time_limit: float, gap: float, threads: int) -> SolverRun:
    fd, log_path = tempfile.mkstemp(prefix="converge-cbc-", suffix=".log")
    os.close(fd)
    try:
        solver = pulp.COIN_CMD(
            path=cbc_path(),
            msg=False,
            timeLimit=time_limit,
            gapRel=gap,
            # `-threads 1` is not serial: this CBC build then runs its search in a worker
            # thread that the main thread hands every node to (measured: 2-4x slower wall
            # time on mknapcb1). Without the flag CBC searches serially and deterministically.
            threads=threads if threads > 1 else None,
            logPath=log_path,
        )
        t0 = time.perf_counter()
        lp.solve(solver)
        seconds = time.perf_counter() - t0
        with open(log_path, errors="replace") as f:
            log = f.read()
    finally:
        with contextlib.suppress(OSError):
            os.remove(log_path)
    # CBC writes "Integer infeasible" as its status line, which PuLP maps to LpStatusInfeasible
    # with sol_status "no solution found": look at both.
    if lp.status == pulp.LpStatusInfeasible or lp.sol_status == pulp.LpSolutionInfeasible:
        status = "infeasible"
    elif lp.sol_status == pulp.LpSolutionOptimal:
        status = "optimal"
    elif lp.sol_status == pulp.LpSolutionIntegerFeasible:
        status = "feasible"
    else:
        status = "no_solution"
    objective = bound = None
    if status in ("optimal", "feasible"):
        objective = float(pulp.value(lp.objective) or 0.0)
        match = re.search(r"^(?:Upper|Lower) bound:\s+" + _CBC_NUMBER, log, re.M)
        if match:
            bound = float(match.group(1))
        elif status == "optimal" and gap == 0:
            bound = objective
    match = re.search(r"Total time \(CPU seconds\):.*\(Wallclock seconds\):\s+" + _CBC_NUMBER, log)
    solver_seconds = float(match.group(1)) if match else None
    return SolverRun(status, objective, bound, _gap(objective, bound), seconds, solver_seconds)


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    diff = max(bound - objective, 0.0)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)
