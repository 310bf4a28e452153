"""Build the model of a portfolio problem, one named constraint group per contract rule.

The model is arrays (columns, rows in compressed form), handed to a solver as they are; the
PuLP problem over the same rows is made only when something asks for it (`Model.lp`).
"""

from __future__ import annotations

import contextlib
import gc
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .problem import Candidate, Problem
from .timing import Timing

if TYPE_CHECKING:  # PuLP is imported only when a PuLP problem is asked for
    import pulp

# Row senses, as PuLP numbers them (pulp.LpConstraintLE, GE, EQ).
LE, GE, EQ = -1, 1, 0
INF = math.inf


@dataclass
class Group:
    """One constraint of the contract (it may need several rows), named for people.

    `kind` is one of budget, capacity, requires, exclusive, together, force_in, force_out,
    department_share_min, department_share_max, theme_min_share, theme_share_max, count_min,
    count_max, run_cost_past_horizon. `rows` are row numbers of the model.
    """

    name: str
    kind: str
    rows: list[int]
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Matrix:
    """A mixed-integer program as arrays: what a solver is handed.

    Columns keep the caller's order; rows are compressed (the entries of row r are
    `index/value[starts[r]:starts[r + 1]]`), each a sense (LE, GE, EQ) and a right-hand side.
    """

    names: list[str]
    cost: list[float]
    lower: list[float]  # -INF for none
    upper: list[float]  # INF for none
    integer: list[bool]
    row_names: list[str]
    sense: list[int]
    rhs: list[float]
    starts: list[int]
    index: list[int]
    value: list[float]
    maximize: bool = True
    constant: float = 0.0

    def bounds(self) -> tuple[list[float], list[float]]:
        """Lower and upper activity of each row (-INF / INF where open)."""
        lower = [r if s != LE else -INF for s, r in zip(self.sense, self.rhs, strict=True)]
        upper = [r if s != GE else INF for s, r in zip(self.sense, self.rhs, strict=True)]
        return lower, upper


@dataclass(eq=False)
class Model:
    """The model of a problem: the matrix, the columns of each candidate, the named groups.

    Columns are in name order (x<i>_<s> sorted as strings, then total_cost), the order PuLP
    hands a problem to a solver: HiGHS 1.16's presolve can loop forever on some column orders
    (docs/optimizer.md), and this is the order measured. `divisor[r]` is what row r's amounts
    were divided by (see `_divisor`); the verifier reads it to tighten a row.
    """

    problem: Problem
    matrix: Matrix
    columns: list[list[tuple[int, int]]]  # per candidate (problem order): (shift, column)
    groups: list[Group]
    structural: list[int]
    divisor: list[float]
    share_unit: float | None = None  # what T and the share rows are divided by
    build_seconds: float = 0.0
    _pulp: tuple[Any, list[Any], list[Any]] | None = field(default=None, repr=False)

    def sub_matrix(
        self,
        groups: Iterable[Group],
        objective: bool = True,
        fixed: Mapping[int, float] | None = None,
    ) -> Matrix:
        """The matrix holding the structural rows and `groups` only; with objective=False a
        pure feasibility question. `fixed` {column: value} pins columns (both bounds)."""
        m = self.matrix
        keep = sorted({*self.structural, *(r for g in groups for r in g.rows)})
        starts, index, value = [0], [], []
        for r in keep:
            lo, hi = m.starts[r], m.starts[r + 1]
            index += m.index[lo:hi]
            value += m.value[lo:hi]
            starts.append(len(index))
        lower, upper = m.lower, m.upper
        if fixed:
            lower, upper = list(lower), list(upper)
            for k, v in fixed.items():
                lower[k] = upper[k] = v
        return Matrix(
            m.names,
            m.cost if objective else [0.0] * len(m.cost),
            lower,
            upper,
            m.integer,
            [m.row_names[r] for r in keep],
            [m.sense[r] for r in keep],
            [m.rhs[r] for r in keep],
            starts,
            index,
            value,
            m.maximize,
        )

    def selection(self, values: Sequence[float]) -> dict[int, int]:
        """Candidate index -> chosen shift, from a solver's column values (above 0.5: chosen)."""
        chosen = {}
        for i, per in enumerate(self.columns):
            for s, k in per:
                if values[k] > 0.5:
                    chosen[i] = s
                    break
        return chosen

    def point(self, chosen: Mapping[int, int]) -> list[float]:
        """Column values of a selection (the inverse of `selection`), total_cost included."""
        x = [0.0] * len(self.matrix.names)
        for i, s in chosen.items():
            for shift, k in self.columns[i]:
                if shift == s:
                    x[k] = 1.0
        if self.share_unit is not None:
            k = self.matrix.names.index("total_cost")
            x[k] = sum(total_cost(self.problem.candidates[i]) for i in chosen) / self.share_unit
        return x

    # ---- the same model as a PuLP problem, made on first use (explanations, MPS by PuLP)

    def _pulp_model(self) -> tuple[Any, list[Any], list[Any]]:
        if self._pulp is None:
            self._pulp = _to_pulp(self.matrix)
        return self._pulp

    @property
    def lp(self) -> pulp.LpProblem:
        """The whole model as a PuLP problem (made on first use)."""
        return self._pulp_model()[0]

    @property
    def variables(self) -> list[pulp.LpVariable]:
        """The PuLP variables of `lp`, column by column of `matrix`."""
        return self._pulp_model()[1]

    @property
    def starts(self) -> list[list[tuple[int, pulp.LpVariable]]]:
        """Per candidate: (shift, PuLP variable), the columns of `lp`."""
        variables = self._pulp_model()[1]
        return [[(s, variables[k]) for s, k in per] for per in self.columns]

    def subproblem(self, groups: list[Group], objective: bool = False) -> pulp.LpProblem:
        """A new LpProblem on the variables of `lp` holding only the structural rows and
        `groups`; with objective=False a pure feasibility question."""
        import pulp

        lp, _, rows = self._pulp_model()
        sub = pulp.LpProblem("converge_subset", pulp.LpMaximize)
        sub.setObjective(lp.objective if objective else pulp.LpAffineExpression())
        keep = sorted({*self.structural, *(r for g in groups for r in g.rows)})
        sub.extend({rows[r].name: rows[r] for r in keep})
        return sub


def _to_pulp(m: Matrix) -> tuple[pulp.LpProblem, list[pulp.LpVariable], list[pulp.LpConstraint]]:
    """The matrix as a PuLP problem; rows are filed with `extend` (see below)."""
    import pulp

    lp = pulp.LpProblem("converge", pulp.LpMaximize if m.maximize else pulp.LpMinimize)
    with gc_paused():
        variables = [
            lp.add_variable(
                name,
                None if lo == -INF else lo,
                None if hi == INF else hi,
                pulp.LpInteger if is_int else pulp.LpContinuous,
            )
            for name, lo, hi, is_int in zip(m.names, m.lower, m.upper, m.integer, strict=True)
        ]
        lp.setObjective(
            pulp.LpAffineExpression(
                [(v, c) for v, c in zip(variables, m.cost, strict=True) if c], constant=m.constant
            )
        )
        rows = []
        for r, name in enumerate(m.row_names):
            lo, hi = m.starts[r], m.starts[r + 1]
            expr = pulp.LpAffineExpression(
                zip([variables[k] for k in m.index[lo:hi]], m.value[lo:hi], strict=True)
            )
            rows.append(pulp.LpConstraint(expr, m.sense[r], name, m.rhs[r]))
        # `addConstraint` would register every variable of every row again, one Python call
        # per coefficient; PuLP lists a problem's variables from its rows when it needs them.
        lp.extend({row.name: row for row in rows})
    return lp, variables, rows


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


def build_model(problem: Problem, steps: bool = False) -> Model:
    """Build the maximization model (see _build); `steps` divides the resource and share
    rows so that the solvers' tolerance is below one step of their numbers (see _fine)."""
    t0 = time.perf_counter()
    with gc_paused():
        model = _build(problem, steps)
    model.build_seconds = time.perf_counter() - t0
    return model


class _Rows:
    """Rows being filled: per row a name, sense, right-hand side, divisor and entries."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.sense: list[int] = []
        self.rhs: list[float] = []
        self.divisor: list[float] = []
        self.entries: list[tuple[list[int], list[float]]] = []

    def add(
        self, name: str, sense: int, rhs: float, cols: list[int], coefs: list[float], div=1.0
    ) -> int:
        self.names.append(name)
        self.sense.append(sense)
        self.rhs.append(rhs)
        self.divisor.append(div)
        self.entries.append((cols, coefs))
        return len(self.names) - 1


def _build(problem: Problem, steps: bool) -> Model:
    periods = problem.periods
    index = {p: k for k, p in enumerate(periods)}
    timing = Timing(problem)
    tail = problem.run_cost_past_horizon
    tail_budget = tail is not None and tail.budget is not None
    penalized = tail is not None and bool(tail.penalty)

    # Resource rows are divided by a divisor as they are filled (see _divisor); the
    # amounts are read once per resource (a later start moves them to any period).
    costs = _Amounts(lambda: (v for c in problem.candidates for v in c.cost.values()), steps)
    budget_div = {index[p]: costs.divisor(limit) for p, limit in problem.budget.items()}
    budget_rows: dict[int, tuple[list[int], list[float]]] = {q: ([], []) for q in budget_div}
    cap_div = {}
    for pool, per in problem.capacity.items():
        effort = _Amounts(
            lambda pool=pool: (
                v for c in problem.candidates for v in c.effort.get(pool, {}).values()
            ),
            steps,
        )
        cap_div.update({(pool, index[p]): effort.divisor(limit) for p, limit in per.items()})
    cap_rows: dict[tuple[str, int], tuple[list[int], list[float]]] = {k: ([], []) for k in cap_div}

    names: list[str] = []
    cost: list[float] = []
    columns: list[list[tuple[int, int]]] = []
    tail_cols: list[int] = []
    tail_amounts: list[float] = []
    for i, c in enumerate(problem.candidates):
        # the plain value needs no arithmetic (the common case at 10,000 candidates)
        timed = bool(c.value_by_period) or (penalized and bool(c.run_cost))
        entries = [(index[p], v) for p, v in c.cost.items() if v]
        effort = [
            (pool, index[p], v) for pool, per in c.effort.items() for p, v in per.items() if v
        ]
        shifts = allowed_shifts(c, periods) if c.may_start_later_by else [0]
        terms = timing.terms(c, shifts) if timed or (tail_budget and c.run_cost) else None
        per_candidate = []
        for k, s in enumerate(shifts):
            col = len(names)
            names.append(f"x{i}_{s}")
            per_candidate.append((s, col))
            if terms is None:
                cost.append(c.value)
            else:
                value, amount = terms[k]
                cost.append(value)
                if tail_budget and amount:
                    tail_cols.append(col)
                    tail_amounts.append(amount)
            for q, v in entries:
                row = budget_rows.get(q + s)
                if row is not None:
                    row[0].append(col)
                    row[1].append(v / budget_div[q + s])
            for pool, q, v in effort:
                key = (pool, q + s)
                row = cap_rows.get(key)
                if row is not None:
                    row[0].append(col)
                    row[1].append(v / cap_div[key])
        columns.append(per_candidate)

    rows = _Rows()
    structural = [
        rows.add(f"one_start_{i}", LE, 1, [k for _, k in per], [1.0] * len(per))
        for i, per in enumerate(columns)
        if len(per) > 1
    ]
    pos = {c.id: i for i, c in enumerate(problem.candidates)}

    def sel(cid: str) -> list[int]:
        return [k for _, k in columns[pos[cid]]]

    groups: list[Group] = []

    def group(name: str, kind: str, info: dict, *made: int) -> None:
        groups.append(Group(name, kind, list(made), info))

    for p, limit in problem.budget.items():
        q = index[p]
        div = budget_div[q]
        r = rows.add(f"budget_{q}", LE, limit / div, *budget_rows[q], div)
        group(f"budget {p}", "budget", {"period": p, "limit": limit}, r)
    for n, (pool, per) in enumerate(problem.capacity.items()):
        for p, limit in per.items():
            key = (pool, index[p])
            div = cap_div[key]
            r = rows.add(f"capacity_{n}_{key[1]}", LE, limit / div, *cap_rows[key], div)
            info = {"pool": pool, "period": p, "limit": limit}
            group(f"capacity {pool} {p}", "capacity", info, r)
    for k, (a, b) in enumerate(problem.requires):
        ca, cb = sel(a), sel(b)
        r = rows.add(f"requires_{k}", LE, 0, ca + cb, [1.0] * len(ca) + [-1.0] * len(cb))
        group(f"requires[{k}]", "requires", {"ids": [a, b]}, r)
    for k, members in enumerate(problem.exclusive):
        cols = [col for cid in members for col in sel(cid)]
        r = rows.add(f"exclusive_{k}", LE, 1, cols, [1.0] * len(cols))
        group(f"exclusive[{k}]", "exclusive", {"ids": list(members)}, r)
    for k, members in enumerate(problem.together):
        first = sel(members[0])
        made = []
        for j, cid in enumerate(members[1:], start=1):
            other = sel(cid)
            coefs = [1.0] * len(first) + [-1.0] * len(other)
            made.append(rows.add(f"together_{k}_{j}", EQ, 0, first + other, coefs))
        group(f"together[{k}]", "together", {"ids": list(members)}, *made)
    for cid in problem.force_in:
        cols = sel(cid)
        r = rows.add(f"force_in_{pos[cid]}", EQ, 1, cols, [1.0] * len(cols))
        group(f"force_in {cid}", "force_in", {"ids": [cid]}, r)
    for cid in problem.force_out:
        cols = sel(cid)
        r = rows.add(f"force_out_{pos[cid]}", EQ, 0, cols, [1.0] * len(cols))
        group(f"force_out {cid}", "force_out", {"ids": [cid]}, r)

    if tail_budget:
        # divided like a budget row
        div = _divisor(tail.budget, tail_amounts, steps)
        r = rows.add(
            "run_cost_past_horizon",
            LE,
            tail.budget / div,
            tail_cols,
            [a / div for a in tail_amounts],
            div,
        )
        info = {"years": tail.years, "limit": tail.budget}
        group("run_cost_past_horizon", "run_cost_past_horizon", info, r)

    unit = None
    if problem.department_share or problem.theme_share:
        unit = _share_rows(problem, columns, names, cost, rows, structural, group, steps)

    if problem.count is not None:
        every = [k for per in columns for _, k in per]
        ones = [1.0] * len(every)
        if problem.count.min > 0:
            r = rows.add("count_min", GE, problem.count.min, every, ones)
            group("count min", "count_min", {"limit": problem.count.min}, r)
        if problem.count.max is not None:
            r = rows.add("count_max", LE, problem.count.max, every, ones)
            group("count max", "count_max", {"limit": problem.count.max}, r)

    model = _finish(problem, names, cost, columns, rows, groups, structural)
    model.share_unit = unit
    return model


def _share_rows(problem, columns, names, cost, rows: _Rows, structural, group, steps) -> float:
    """T = total selected cost, defined by one dense row, and each share bound over it.

    Each share row keeps every candidate's own cost: defining department totals by extra
    variables (so that each share row had two entries) built faster but solved 6x slower
    (measured at 10,000). Costs enter these rows divided by the largest candidate cost.
    """
    unit = _share_unit(problem, steps)
    total = len(names)
    names.append("total_cost")
    cost.append(0.0)
    costs = [total_cost(c) / unit for c in problem.candidates]
    total_cols, total_coefs = [total], [1.0]
    departments = {
        d: ([], []) for d, s in problem.department_share.items() if s.min > 0 or s.max < 1
    }
    themes = {t: ([], []) for t, s in problem.theme_share.items() if s.min > 0 or s.max < 1}
    for i, c in enumerate(problem.candidates):
        tc = costs[i]
        if not tc:
            continue
        cols = [k for _, k in columns[i]]
        total_cols += cols
        total_coefs += [-tc] * len(cols)
        mine = [departments.get(c.department)] + [themes.get(t) for t in c.themes]
        for row in mine:
            if row is not None:
                row[0].extend(cols)
                row[1].extend([tc] * len(cols))
    structural.append(rows.add("total_cost_def", EQ, 0, total_cols, total_coefs))

    def bounds(key, share, entries, low_name, high_name, low_kind, high_kind, info, k, tag):
        cols, coefs = entries
        if share.min > 0:
            r = rows.add(f"{tag}_min_{k}", GE, 0, [*cols, total], [*coefs, -share.min], unit)
            group(low_name, low_kind, info, r)
        if share.max < 1:
            r = rows.add(f"{tag}_max_{k}", LE, 0, [*cols, total], [*coefs, -share.max], unit)
            group(high_name, high_kind, info, r)

    for k, (dept, share) in enumerate(problem.department_share.items()):
        if dept in departments:
            info = {"department": dept, "min": share.min, "max": share.max}
            bounds(
                dept,
                share,
                departments[dept],
                f"department_share {dept} min",
                f"department_share {dept} max",
                "department_share_min",
                "department_share_max",
                info,
                k,
                "dept",
            )
    for k, (theme, share) in enumerate(problem.theme_share.items()):
        # kind and name of the lower bound stay those of the older theme_min_share field
        if theme in themes:
            info = {"theme": theme, "min": share.min, "max": share.max}
            bounds(
                theme,
                share,
                themes[theme],
                f"theme_min_share {theme}",
                f"theme_share {theme} max",
                "theme_min_share",
                "theme_share_max",
                info,
                k,
                "theme",
            )
    return unit


def _finish(problem, names, cost, columns, rows: _Rows, groups, structural) -> Model:
    """Put the columns in name order and compress the rows (plain lists: numpy alone
    would add 0.1 s of import to a small problem's solve)."""
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = [0] * len(order)
    for new, old in enumerate(order):
        rank[old] = new
    # Rows: the structural ones first, then the groups' (the order solvers were measured on).
    row_order = structural + sorted(set(range(len(rows.names))) - set(structural))
    row_rank = [0] * len(row_order)
    for new, old in enumerate(row_order):
        row_rank[old] = new
    starts, index, value = [0], [], []
    for r in row_order:
        cols, coefs = rows.entries[r]
        index += [rank[k] for k in cols]
        value += coefs
        starts.append(len(index))
    for g in groups:
        g.rows = [row_rank[r] for r in g.rows]
    integer = [name != "total_cost" for name in names]
    matrix = Matrix(
        [names[k] for k in order],
        [cost[k] for k in order],
        [0.0] * len(order),
        [1.0 if integer[k] else INF for k in order],
        [integer[k] for k in order],
        [rows.names[r] for r in row_order],
        [rows.sense[r] for r in row_order],
        [rows.rhs[r] for r in row_order],
        starts,
        index,
        value,
    )
    columns = [[(s, rank[k]) for s, k in per] for per in columns]
    divisor = [rows.divisor[r] for r in row_order]
    return Model(problem, matrix, columns, groups, list(range(len(structural))), divisor)


class _Amounts:
    """A resource's amounts over all candidates (a function giving them), read once when
    needed: the largest for a limit of 0, the granularity with `steps`."""

    def __init__(self, amounts: Callable[[], Iterable[float]], steps: bool):
        self.amounts = amounts
        self.steps = steps
        self._read: list[float] | None = None

    def _values(self) -> list[float]:
        if self._read is None:
            self._read = [v for v in self.amounts() if v]
        return self._read

    def divisor(self, limit: float) -> float:
        base = limit if limit > 0 else max(self._values(), default=0.0) or 1.0
        if not self.steps:
            return base
        return _fine(base, min(granularity(self._values()), granularity([limit])))


# The solvers' feasibility tolerance on a row as handed over (HiGHS's MIP tolerance; CBC's
# is 1e-7): an answer may break a row by this much of its divisor.
TOLERANCE = 1e-6


def _divisor(limit: float, amounts: Sequence[float], steps: bool) -> float:
    """What a resource row (and its limit) is divided by before it reaches the solver.

    Money runs to 1e9 while the binaries are 0/1; unscaled, HiGHS called the model badly
    scaled and slowed down, so rows are divided by their limit (by the largest amount when
    the limit is 0). A solver may then break the row by TOLERANCE of the limit: 100 over a
    budget of 1e9, which the exact check after the solve catches (optimizer/verify.py).
    With `steps` (the re-solve after such a catch) the divisor is made finer, see `_fine`.
    """
    base = limit if limit > 0 else max(amounts, default=0.0) or 1.0
    return _fine(base, granularity([limit, *amounts])) if steps else base


def _fine(base: float, step: float) -> float:
    """A divisor at most 1e5 times `step`, the row's granularity (the largest power of ten
    its numbers are whole multiples of: 100 for costs in hundreds): what the solver may
    break the row by is then under a tenth of one step, and a sum of whole steps within it
    is within the limit. Not below 1e-6 of `base`: numbers with more significant digits
    than that are beyond what a double's tolerance separates. Dividing this way by default
    was measured and lost: CBC took 2-10x longer on the synthetic portfolios (a 10,000-
    candidate one ran into its 60 s limit), so it is kept for the re-solve."""
    return min(base, max(step / (10 * TOLERANCE), base * TOLERANCE))


def granularity(values: Iterable[float]) -> float:
    """The largest power of ten from 1e-6 to 1e15 that every value is a whole multiple of
    (1e-6 when none is), read in floating point: near enough to choose a divisor."""
    k = 15
    for v in values:
        if not v:
            continue
        while k > -6 and not _multiple(v, k):
            k -= 1
        if k == -6:
            break
    return 10.0**k


def _multiple(v: float, k: int) -> bool:
    if k >= 0:
        return v % 10.0**k == 0
    x = v * 10.0**-k
    return abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))


def _share_unit(problem: Problem, steps: bool = False) -> float:
    """The divisor of the share rows and of T: the largest candidate cost; with `steps` as
    `_fine` of a row whose numbers are the total costs times the share bounds."""
    costs = [total_cost(c) for c in problem.candidates]
    base = max(costs, default=0.0) or 1.0
    if not steps:
        return base
    bounds = [
        b
        for s in (*problem.department_share.values(), *problem.theme_share.values())
        for b in (s.min, s.max)
    ]
    return _fine(base, granularity(costs) * granularity(bounds))


# MPS has no standard place for the sense: an OBJSENSE section is an extension that PuLP's
# bundled CBC 2.10 reads without error and then ignores (it minimizes). So the objective is
# written negated, to be minimized by any reader, and the file says so.
MPS_NOTE = (
    "* converge.problem/1 portfolio model.\n"
    "* The objective row OBJ is the portfolio value NEGATED: minimize it (the MPS default).\n"
    "* The portfolio value (maximized by the optimizer) is MINUS the optimum of this file.\n"
)


def write_mps(model: Model, path: str | Path) -> None:
    """Write the model as MPS that any reader solves to the same optimum with nothing else:
    the objective negated and minimized, with MPS_NOTE as comment lines at the top, and the
    model's own column and row names."""
    from .solvers import mps_text

    Path(path).write_text(MPS_NOTE + mps_text(model.matrix, names=True, negate=True))


def model_mps(problem: Problem) -> bytes:
    """The model the solver receives, as an MPS file (objective negated, see write_mps)."""
    from .solvers import mps_text

    model = build_model(problem)
    return (MPS_NOTE + mps_text(model.matrix, names=True, negate=True)).encode()
