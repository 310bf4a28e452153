"""Run a model on HiGHS (highspy, in process) or CBC (PuLP's bundled binary) and read the verdict.

Both take the model as arrays (`model.Matrix`): HiGHS in three calls, CBC as an MPS file
written from them. A PuLP problem (`run`) is turned into the same arrays first, so PuLP is
imported only by callers that build PuLP problems.
"""

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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .model import EQ, GE, INF, LE, Matrix, gc_paused

if TYPE_CHECKING:
    import pulp

BACKENDS = ("highs", "cbc")
DEFAULT_BACKEND = "cbc"

_quiet_lock = threading.RLock()
_banner_shown = False


class SolverFailed(RuntimeError):
    """The solver ended without an answer of its own (a crash, an unreadable output)."""


@dataclass
class SolverRun:
    """What one solver call established, in the contract's words."""

    status: str  # optimal | feasible | infeasible | no_solution
    objective: float | None
    bound: float | None
    seconds: float  # wall time of the call: hand over, solve, read back
    solver_seconds: float | None  # time the solver itself reports
    values: list[float] | None = None  # column values (matrix order) with a solution

    @property
    def gap(self) -> float | None:
        return gap_of(self.objective, self.bound)


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
    """The CBC binary bundled with PuLP 3.x (fall back to `cbc` on PATH).

    Found beside PuLP's files without importing PuLP (0.17 s with numpy and highspy), the
    way PuLP's coin_api names it.
    """
    import importlib.util
    import platform

    spec = importlib.util.find_spec("pulp")
    if spec is not None and spec.origin:
        system = {"Linux": "linux", "Darwin": "osx", "Windows": "win"}.get(platform.system())
        machine = platform.machine().lower()
        arch = "arm64" if machine in ("arm64", "aarch64") else "i64"
        if system == "osx":
            arch = "i64"
        name = "cbc.exe" if system == "win" else "cbc"
        root = os.path.dirname(spec.origin)
        path = os.path.join(root, "solverdir", "cbc", str(system), arch, name)
        if os.path.exists(path):
            return path
    return "cbc"


def run(
    lp: pulp.LpProblem,
    backend: str,
    time_limit: float,
    gap: float,
    threads: int = 1,
) -> SolverRun:
    """Solve a PuLP problem with an explicit time limit and relative gap; the variables get
    their values (`varValue`) and the problem its status, as PuLP's own solve would."""
    import pulp

    with gc_paused():  # the model may be millions of objects: keep the collector off them
        matrix, variables = _of_pulp(lp)
    out = solve(matrix, backend, time_limit, gap, threads)
    if out.values is not None:
        for var, x in zip(variables, out.values, strict=True):
            var.varValue = x
    status = {
        "optimal": (pulp.LpStatusOptimal, pulp.LpSolutionOptimal),
        "feasible": (pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible),
        "infeasible": (pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible),
    }.get(out.status, (pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound))
    lp.assignStatus(*status)
    return out


def _of_pulp(lp: pulp.LpProblem) -> tuple[Matrix, list[pulp.LpVariable]]:
    """A PuLP problem as arrays: one pass over the objective and the rows, keyed by object
    identity (a PuLP variable hashes through Python code), columns in PuLP's order (by name)."""
    import pulp

    column: dict[int, int] = {}
    variables: list[pulp.LpVariable] = []
    cost: list[float] = []
    for var, coef in lp.objective.items():
        column[id(var)] = len(variables)
        variables.append(var)
        cost.append(coef)
    rows = lp.constraints()
    starts, index, value = [0], [], []
    for row in rows:
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
    order = sorted(range(len(variables)), key=lambda k: variables[k].name)
    rank = [0] * len(order)
    for new, old in enumerate(order):
        rank[old] = new
    variables = [variables[k] for k in order]
    matrix = Matrix(
        [v.name for v in variables],
        [cost[k] for k in order],
        [-INF if v.lowBound is None else v.lowBound for v in variables],
        [INF if v.upBound is None else v.upBound for v in variables],
        [v.cat == pulp.LpInteger for v in variables],
        [row.name for row in rows],
        [row.sense for row in rows],
        [-row.constant for row in rows],
        starts,
        [rank[k] for k in index],
        value,
        lp.sense == pulp.LpMaximize,
        float(lp.objective.constant or 0.0),
    )
    return matrix, variables


def solve(
    matrix: Matrix,
    backend: str,
    time_limit: float,
    gap: float,
    threads: int = 1,
    start: Sequence[float] | None = None,
) -> SolverRun:
    """Solve `matrix` with an explicit time limit and relative gap; `start` (column values
    of a feasible point) is handed to the solver as its first incumbent."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; use one of {BACKENDS}")
    time_limit = max(float(time_limit), 0.01)
    scale = objective_scale(matrix.cost)
    if scale != 1.0:
        matrix = replace(matrix, cost=[c * scale for c in matrix.cost])
    if backend == "highs":
        run = _run_highs(matrix, time_limit, gap, start)
    else:
        run = _run_cbc(matrix, time_limit, gap, threads, start)
    if scale != 1.0:
        run.objective = None if run.objective is None else run.objective / scale
        run.bound = None if run.bound is None else run.bound / scale
    return run


def objective_scale(cost: Sequence[float]) -> float:
    """What the objective is multiplied by on its way to a solver: 1, or when every value is
    below 1 the power of ten that brings the largest to 1e6 or more.

    Both solvers stop on an absolute difference too (HiGHS's mip_abs_gap 1e-6, CBC's cutoff
    increment 1e-5): HiGHS called an optimum of 1e-7 zero. A power of ten keeps whole-numbered
    values whole (both solvers use that to prune); problems with a value of 1 or more, where
    the absolute limits are below a millionth of it, go as they are (the measured path).
    """
    largest = max((abs(c) for c in cost), default=0.0)
    if largest == 0.0 or largest >= 1.0:
        return 1.0
    return 10.0 ** (6 - math.floor(math.log10(largest)))


def _objective(matrix: Matrix, values: Sequence[float]) -> float:
    return math.fsum(c * x for c, x in zip(matrix.cost, values, strict=True) if c) + (
        matrix.constant
    )


def load_highs(highs, matrix: Matrix, mip: bool) -> None:
    """Hand `matrix` to a HiGHS instance: the columns, integrality (`mip`) and rows in three
    calls, a maximization as PuLP hands it over, the objective negated."""
    import highspy
    import numpy as np

    inf = highspy.kHighsInf
    sign = -1.0 if matrix.maximize else 1.0
    n = len(matrix.names)

    def finite(values: Sequence[float]) -> np.ndarray:
        return np.clip(np.array(values, np.float64), -inf, inf)

    highs.addCols(
        n,
        sign * np.array(matrix.cost, np.float64),
        finite(matrix.lower),
        finite(matrix.upper),
        0,
        np.zeros(0, np.int32),
        np.zeros(0, np.int32),
        np.zeros(0, np.float64),
    )
    integer = np.flatnonzero(np.array(matrix.integer, bool) & mip).astype(np.int32)
    if len(integer):
        highs.changeColsIntegrality(
            len(integer),
            integer,
            np.full(len(integer), int(highspy.HighsVarType.kInteger), np.uint8),
        )
    lower, upper = matrix.bounds()
    highs.addRows(
        len(matrix.rhs),
        finite(lower),
        finite(upper),
        len(matrix.index),
        np.array(matrix.starts[:-1], np.int32),
        np.array(matrix.index, np.int32),
        np.array(matrix.value, np.float64),
    )


def _run_highs(
    matrix: Matrix, time_limit: float, gap: float, start: Sequence[float] | None
) -> SolverRun:
    """HiGHS in process: the columns, integrality and rows in three calls.

    PuLP 3.3's `HiGHS` made one Python-to-C++ call per column and per row and listed the
    problem's variables three times (measured 2.3 s of hand-over for a 4 s solve at 50,000
    candidates). Maximization is handed over as PuLP does it, the objective negated, so the
    dual bound comes back negated.
    """
    t0 = time.perf_counter()  # the first call's imports (0.1-0.2 s) are part of the hand-over
    import highspy

    _swallow_highs_banner()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    # mip_abs_gap defaults to 1e-6, which only matters for tiny objectives; keep it.
    highs.setOptionValue("mip_rel_gap", gap)
    highs.setOptionValue("time_limit", time_limit)
    with gc_paused():
        load_highs(highs, matrix, mip=True)
        if start is not None:
            point = highspy.HighsSolution()
            point.col_value = list(map(float, start))
            point.value_valid = True
            highs.setSolution(point)
    highs.run()
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    has_point = info.primal_solution_status == 2
    values = list(highs.getSolution().col_value) if has_point else None
    seconds = time.perf_counter() - t0
    kind = highspy.HighsModelStatus
    if model_status in (kind.kInfeasible, kind.kUnboundedOrInfeasible):
        status = "infeasible"
    elif model_status == kind.kOptimal and has_point:
        status = "optimal"
    elif has_point and model_status != kind.kUnbounded:
        status = "feasible"  # stopped early (time limit, interrupt) with an incumbent
    else:
        status = "no_solution"
    objective = bound = None
    if status in ("optimal", "feasible"):
        objective = _objective(matrix, values)
        dual = float(info.mip_dual_bound)
        bound = (-dual if matrix.maximize else None) if any(matrix.integer) else None
        if bound is None or not math.isfinite(bound):
            bound = objective if status == "optimal" else None
    return SolverRun(
        status,
        objective,
        bound,
        seconds,
        float(highs.getRunTime()),
        values,
    )


_CBC_NUMBER = r"(-?[0-9.eE+-]+)"


def _run_cbc(
    matrix: Matrix,
    time_limit: float,
    gap: float,
    threads: int,
    start: Sequence[float] | None,
) -> SolverRun:
    """CBC as a child process on an MPS file written from the arrays (see `mps_text`).

    The command line is the one PuLP's `COIN_CMD` runs (`-sec`, `-ratio`, `-timeMode
    elapsed`, `-solve`, `-printingOptions all`, `-solution`), with `-mips` for a start. The
    bound is read from CBC's log, the status from the first line of its solution file.
    """
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="converge-cbc-") as tmp:
        mps_path = os.path.join(tmp, "model.mps")
        sol_path = os.path.join(tmp, "model.sol")
        log_path = os.path.join(tmp, "cbc.log")
        with gc_paused():
            text = mps_text(matrix)
        with open(mps_path, "w") as f:
            f.write(text)
        del text
        args = [cbc_path(), mps_path]
        if matrix.maximize:
            args.append("-max")
        args += ["-sec", str(time_limit), "-ratio", str(gap), "-timeMode", "elapsed"]
        # `-threads 1` is not serial: this CBC build then runs its search in a worker
        # thread that the main thread hands every node to (measured: 2-4x slower wall
        # time on mknapcb1). Without the flag CBC searches serially and deterministically.
        if threads > 1:
            args += ["-threads", str(threads)]
        if start is not None:
            start_path = os.path.join(tmp, "start.sol")
            _write_cbc_start(start, start_path)
            args += ["-mips", start_path]
        args += ["-solve" if any(matrix.integer) else "-initialSolve"]
        args += ["-printingOptions", "all", "-solution", sol_path]
        with open(log_path, "w") as pipe:
            code = subprocess.call(args, stdout=pipe, stderr=pipe, stdin=subprocess.DEVNULL)
        with open(log_path, errors="replace") as f:
            log = f.read()
        if code != 0 or not os.path.exists(sol_path):
            raise SolverFailed(f"CBC failed (exit code {code}) without an answer")
        values = [0.0] * len(matrix.names)
        with open(sol_path) as f:
            status = _cbc_status(f.readline())
            for line in f:
                parts = line.split()
                if parts and parts[0] == "**":
                    parts = parts[1:]
                if len(parts) >= 3 and parts[1][0] == "C":
                    values[int(parts[1][1:])] = float(parts[2])
    seconds = time.perf_counter() - t0
    objective = bound = None
    if status in ("optimal", "feasible"):
        objective = _objective(matrix, values)
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
    has_values = status in ("optimal", "feasible")
    return SolverRun(
        status,
        objective,
        bound,
        seconds,
        solver_seconds,
        values if has_values else None,
    )


def _cbc_status(line: str) -> str:
    """The contract's status from the first line of a CBC solution file.

    "Optimal", "Infeasible", "Integer infeasible", "Unbounded", "Stopped on time - objective
    value X" (a solution) or "Stopped on ..." (none), as PuLP's `COIN_CMD.get_status` reads
    them.
    """
    words = line.split()
    head = words[0] if words else ""
    if head == "Optimal":
        return "optimal"
    if head in ("Infeasible", "Integer"):
        return "infeasible"
    if head == "Stopped" and len(words) >= 5 and words[4] == "objective":
        return "feasible"
    return "no_solution"


def _write_cbc_start(start: Sequence[float], path: str) -> None:
    """A start for CBC's `-mips`: a solution file in CBC's own format, columns by MPS name."""
    lines = ["Stopped on time - objective value 0"]
    lines += [f"{k:>7} C{k:<7} {x:>15} 0" for k, x in enumerate(start) if x]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


_MPS_SENSE = {LE: "L", GE: "G", EQ: "E"}
_MPS_MARKER = "    MARKER                 'MARKER'                 '{}'"


def mps_text(matrix: Matrix, names: bool = False, negate: bool = False) -> str:
    """The matrix as an MPS file (fixed-format layout; integer columns in one INTORG block).

    Numbers take 13 significant digits, as PuLP writes them: more digits sent CBC down
    another search path (8.7 s against 6.4 s on the portal's 10,000-idea bench); the answer
    is checked exactly afterwards anyway (optimizer/verify.py). Columns are `C<k>` and rows
    `R<r>` (at most 10 million of each), or with `names` the matrix's own names. `negate`
    writes the objective negated (for a reader that minimizes). The objective's constant is
    not written.
    """
    import numpy as np

    n_rows, n_cols = len(matrix.rhs), len(matrix.names)
    if names:
        label = [f"{name:<8}  " for name in matrix.row_names]
        col_name = matrix.names
    else:
        label = [f"R{r:<7}  " for r in range(n_rows)]
        col_name = [f"C{k}" for k in range(n_cols)]
    label.append("OBJ       ")  # row -1: the objective
    lines = ["NAME          converge", "ROWS", " N  OBJ"]
    lines += [f" {_MPS_SENSE[s]}  {label[r].rstrip()}" for r, s in enumerate(matrix.sense)]

    # Every entry as (column, row, value), the objective as row -1 (also for a column with
    # no entry at all, which MPS must still list), in the order written: integer columns
    # first, each column's objective first and then its rows in row order.
    index = np.array(matrix.index, np.int64)
    cost = (-1.0 if negate else 1.0) * np.array(matrix.cost, np.float64)
    integer = np.array(matrix.integer, bool)
    listed = (cost != 0) | (np.bincount(index, minlength=n_cols) == 0)
    obj_cols = np.flatnonzero(listed)
    cols = np.concatenate([obj_cols, index])
    rows = np.concatenate(
        [np.full(len(obj_cols), -1), np.repeat(np.arange(n_rows), np.diff(matrix.starts))]
    )
    values = np.concatenate([cost[obj_cols], np.array(matrix.value, np.float64)])
    written = np.concatenate([np.flatnonzero(integer), np.flatnonzero(~integer)])
    position = np.empty(n_cols, np.int64)
    position[written] = np.arange(n_cols)
    order = np.lexsort((np.arange(len(cols)), rows >= 0, position[cols]))
    cols, rows, values = cols[order], rows[order], values[order]
    head = [f"    {name:<8}  " for name in col_name]
    heads = [head[k] for k in cols.tolist()]
    labels = [label[r] for r in rows.tolist()]
    # each distinct number formatted once, in one C-level pass: a tenth of the entries are
    # distinct (0.09 s against 0.18 s at 50,000 candidates; an f-string per entry took 0.9 s)
    distinct, which = np.unique(values, return_inverse=True)
    text = ("%.12e\n" * len(distinct) % tuple(distinct.tolist())).split("\n")
    values = [text[k] for k in which.tolist()]
    split = int(np.count_nonzero(integer[cols]))
    lines.append("COLUMNS")
    if split:
        lines.append(_MPS_MARKER.format("INTORG"))
        lines.append(_entries(heads[:split], labels[:split], values[:split]))
        lines.append(_MPS_MARKER.format("INTEND"))
    if split < len(values):
        lines.append(_entries(heads[split:], labels[split:], values[split:]))
    lines.append("RHS")
    lines += [f"    RHS       {label[r]}{rhs:.12e}" for r, rhs in enumerate(matrix.rhs) if rhs]
    lines.append("BOUNDS")
    for k in written.tolist():
        lo, hi, is_int = matrix.lower[k], matrix.upper[k], matrix.integer[k]
        if is_int and lo == 0 and hi == 1:
            lines.append(f" BV BND       {col_name[k]:<8}")
        else:
            lines += _mps_bounds(col_name[k], lo, hi, is_int)
    lines.append("ENDATA\n")
    return "\n".join(lines)


def _entries(heads: list[str], labels: list[str], values: list[str]) -> str:
    """COLUMNS lines: column, row and number, joined in one pass."""
    return "\n".join([h + lab + v for h, lab, v in zip(heads, labels, values, strict=True)])


def _mps_bounds(name: str, lb: float, ub: float, integer: bool) -> list[str]:
    """BOUNDS lines for one column (MPS defaults: lower 0, upper infinite)."""
    head = f"BND       {name:<8}"
    if integer and lb == 0 and ub == 1:
        return [f" BV {head}"]
    if lb == ub:
        return [f" FX {head}  {lb!r}"]
    out = []
    if lb == -INF:
        out.append(f" MI {head}")
    elif lb != 0 or integer:
        out.append(f" LO {head}  {lb!r}")
    if ub != INF:
        out.append(f" UP {head}  {ub!r}")
    elif integer:
        out.append(f" PL {head}")
    return out


def gap_of(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    diff = max(bound - objective, 0.0)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)
