"""Run a PuLP model on HiGHS (highspy, in process) or CBC (bundled binary) and read the verdict."""

from __future__ import annotations

import contextlib
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import pulp

from .model import gc_paused

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


@dataclass
class Matrix:
    """A PuLP problem as arrays: columns sorted by variable name, rows compressed.

    Built in one pass over the objective and the rows, keyed by object identity (a PuLP
    variable hashes through Python code), with the collector paused by the caller.
    """

    variables: list[pulp.LpVariable]
    cost: list[float]  # objective coefficient per column, as written (not negated)
    starts: list[int]  # rows: entries of row r are index/value[starts[r]:starts[r + 1]]
    index: list[int]
    value: list[float]
    rows: list[pulp.LpConstraint]

    @classmethod
    def of(cls, lp: pulp.LpProblem) -> Matrix:
        column: dict[int, int] = {}
        variables: list[pulp.LpVariable] = []
        cost: list[float] = []
        for var, coef in lp.objective.items():
            column[id(var)] = len(variables)
            variables.append(var)
            cost.append(coef)
        rows = lp.constraints()
        starts, index, value = [], [], []
        for row in rows:
            starts.append(len(index))
            for var, coef in row.expr.items():
                if coef:
                    k = column.get(id(var))
                    if k is None:
                        k = column[id(var)] = len(variables)
                        variables.append(var)
                        cost.append(0.0)
                    index.append(k)
                    value.append(coef)
        starts.append(len(index))
        # Columns in PuLP's own order (by name), so that a solver sees the model exactly as
        # PuLP's interfaces hand it over: HiGHS 1.16's presolve can loop forever on some
        # column orders (see docs/optimizer.md), and the order PuLP uses is the measured one.
        order = sorted(range(len(variables)), key=lambda k: variables[k].name)
        rank = [0] * len(order)
        for new, old in enumerate(order):
            rank[old] = new
        return cls(
            [variables[k] for k in order],
            [cost[k] for k in order],
            starts,
            [rank[k] for k in index],
            value,
            rows,
        )

    def integer(self, mip: bool) -> list[bool]:
        return [mip and v.cat == pulp.LpInteger for v in self.variables]


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

        self.createAndConfigureSolver(lp)
        highs = lp.solverModel
        with gc_paused():  # the model is millions of objects: keep the collector off them
            matrix = Matrix.of(lp)
            self._pass_model(lp, matrix, highs)
        highs.run()
        model_status = highs.getModelStatus()
        has_point = highs.getInfo().primal_solution_status == 2
        if has_point:
            for var, x in zip(matrix.variables, highs.getSolution().col_value, strict=True):
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

    def _pass_model(self, lp: pulp.LpProblem, matrix: Matrix, highs) -> None:
        """Hand the columns, integrality and rows to `highs` in three calls."""
        import highspy
        import numpy as np

        inf = highspy.kHighsInf
        variables = matrix.variables
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        highs.addCols(
            len(variables),
            sign * np.array(matrix.cost, np.float64),
            np.array([-inf if v.lowBound is None else v.lowBound for v in variables], np.float64),
            np.array([inf if v.upBound is None else v.upBound for v in variables], np.float64),
            0,
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0, np.float64),
        )
        integer = np.flatnonzero(matrix.integer(self.mip)).astype(np.int32)
        if len(integer):
            highs.changeColsIntegrality(
                len(integer),
                integer,
                np.full(len(integer), int(highspy.HighsVarType.kInteger), np.uint8),
            )
        lower, upper = [], []
        for row in matrix.rows:
            lb, ub = row.getLb(), row.getUb()
            lower.append(-inf if lb is None else lb)
            upper.append(inf if ub is None else ub)
        highs.addRows(
            len(matrix.rows),
            np.array(lower, np.float64),
            np.array(upper, np.float64),
            len(matrix.index),
            np.array(matrix.starts[:-1], np.int32),
            np.array(matrix.index, np.int32),
            np.array(matrix.value, np.float64),
        )


_MPS_SENSE = {pulp.LpConstraintLE: "L", pulp.LpConstraintGE: "G", pulp.LpConstraintEQ: "E"}
_MPS_MARKER = "    MARKER                 'MARKER'                 '{}'"


class LeanCBC(pulp.COIN_CMD):
    """PuLP's CBC runner (`COIN_CMD`), writing the MPS file and reading the solution leanly.

    PuLP 3.3 writes the MPS file through per-coefficient name lookups and reads the answer
    back into values, reduced costs, duals and slacks, listing the problem's variables four
    times: measured 2.0 s around a 9.7 s solve at 50,000 candidates. This writes the same
    model (fixed-format MPS, numbers to 13 significant digits as PuLP writes them: more
    digits sent CBC down another search path, 8.7 s against 6.4 s on the portal's
    10,000-idea bench; columns `C<k>` and rows `R<r>`, so at most 10 million of each; integer
    columns in one INTORG block) from the compressed matrix, runs the same CBC command line,
    and reads back each variable's value and the status with PuLP's own status reader.
    Reduced costs, duals and slacks are not read: a portfolio solve does not use them.
    """

    def solve_CBC(self, lp: pulp.LpProblem, use_mps: bool = True) -> int:
        if not self.executable(self.path):
            raise pulp.PulpSolverError(f"cannot execute {self.path}")
        mps_path, sol_path = self.create_tmp_files(lp.name, "mps", "sol")
        try:
            with gc_paused():  # the model is millions of objects: keep the collector off them
                matrix = Matrix.of(lp)
                self._write_mps(matrix, mps_path)
            args = [self.path, mps_path]
            if lp.sense == pulp.LpMaximize:
                args.append("-max")
            if self.timeLimit is not None:
                args += ["-sec", str(self.timeLimit)]
            for option in self.options + self.getOptions():
                args += ("-" + option).split()
            args += ["-solve" if self.mip else "-initialSolve", "-printingOptions", "all"]
            args += ["-solution", sol_path]
            log_path = self.optionsDict.get("logPath")
            with open(log_path or os.devnull, "w") as pipe:
                code = subprocess.call(args, stdout=pipe, stderr=pipe, stdin=subprocess.DEVNULL)
            if code != 0 or not os.path.exists(sol_path):
                raise pulp.PulpSolverError(f"CBC failed (exit code {code})")
            status, sol_status = self.get_status(sol_path)
            values = [0.0] * len(matrix.variables)
            with gc_paused(), open(sol_path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts and parts[0] == "**":
                        parts = parts[1:]
                    if len(parts) >= 3 and parts[1][0] == "C":
                        values[int(parts[1][1:])] = float(parts[2])
            for var, x in zip(matrix.variables, values, strict=True):
                var.varValue = x
        finally:
            self.delete_tmp_files(mps_path, sol_path)
        lp.assignStatus(status, sol_status)
        return status

    def _write_mps(self, matrix: Matrix, path: str) -> None:
        import numpy as np

        n_rows = len(matrix.rows)
        label = [f"R{r:<7}  " for r in range(n_rows)]
        lines = ["NAME          converge", "ROWS", " N  OBJ"]
        lines += [f" {_MPS_SENSE[row.sense]}  R{r}" for r, row in enumerate(matrix.rows)]
        # the row matrix turned column-wise (a stable sort keeps each column's rows in order)
        index = np.array(matrix.index, np.int64)
        order = np.argsort(index, kind="stable")
        row_of = np.repeat(np.arange(n_rows), np.diff(matrix.starts))[order].tolist()
        value = np.array(matrix.value, np.float64)[order].tolist()
        bounds = np.searchsorted(index[order], np.arange(len(matrix.variables) + 1)).tolist()
        integer = matrix.integer(self.mip)
        lines.append("COLUMNS")
        bound_lines = []
        for marked in (True, False):
            block = [k for k, is_int in enumerate(integer) if is_int == marked]
            if not block:
                continue
            if marked:
                lines.append(_MPS_MARKER.format("INTORG"))
            for k in block:
                head = f"    C{k:<7}  "
                entries = [f"OBJ       {matrix.cost[k]:.12e}"] if matrix.cost[k] else []
                lo, hi = bounds[k], bounds[k + 1]
                entries += [
                    label[r] + format(v, ".12e")
                    for r, v in zip(row_of[lo:hi], value[lo:hi], strict=True)
                ]
                lines.append(head + ("\n" + head).join(entries or ["OBJ       0"]))
                bound_lines += _mps_bounds(f"C{k}", matrix.variables[k], marked)
            if marked:
                lines.append(_MPS_MARKER.format("INTEND"))
        lines.append("RHS")
        lines += [
            f"    RHS       {label[r]}{-row.constant:.12e}"
            for r, row in enumerate(matrix.rows)
            if row.constant
        ]
        lines.append("BOUNDS")
        lines += bound_lines
        lines.append("ENDATA\n")
        with open(path, "w") as f:
            f.write("\n".join(lines))


def _mps_bounds(name: str, var: pulp.LpVariable, integer: bool) -> list[str]:
    """BOUNDS lines for one column (MPS defaults: lower 0, upper infinite)."""
    lb, ub = var.lowBound, var.upBound
    head = f"BND       {name:<8}"
    if integer and lb == 0 and ub == 1:
        return [f" BV {head}"]
    if lb is not None and lb == ub:
        return [f" FX {head}  {lb!r}"]
    out = []
    if lb is None:
        out.append(f" MI {head}")
    elif lb != 0 or integer:
        out.append(f" LO {head}  {lb!r}")
    if ub is not None:
        out.append(f" UP {head}  {ub!r}")
    elif integer:
        out.append(f" PL {head}")
    return out


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
        solver = LeanCBC(
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
    if (
        status == "infeasible"
        and "Pre-processing says infeasible" in log
        and solver_seconds is not None
        and solver_seconds > time_limit
    ):
        # When the time limit runs out during preprocessing, CBC 2.10 reports "Integer
        # infeasible" for a feasible problem (seen with a 0.01 s limit: 0.04 s on its clock).
        # A preprocessing verdict CBC reached only after its limit is no proof, so it counts
        # as stopped without a solution; proofs within the limit stand.
        status = "no_solution"
    return SolverRun(status, objective, bound, _gap(objective, bound), seconds, solver_seconds)


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    diff = max(bound - objective, 0.0)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)
