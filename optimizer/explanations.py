"""The forced optima behind the explanations (optimizer/reasons.py): bounds first, re-solves
only where the bounds differ (issue 15). Imported only when a problem is too large to try
every selection: numpy, scipy and highspy come with it.

A candidate's value at stake is the optimum minus the optimum with the candidate forced the
other way (out when selected, in when not). That forced optimum is bracketed from two sides:
above by a Lagrangian bound from LP multipliers, worked out again in plain arithmetic so that
it holds whatever the LP solver's tolerances, and lowered to the values' granularity when
every value is a multiple of one (whole numbers, tenths...); below by a selection whose every
row was checked on the model's own numbers. Where the two meet (within ABS_TOL + REL_TOL x
the objective) the forced optimum is exact. Four passes narrow the brackets, each over the
candidates still open, until the explanation budget is spent:

1. every candidate: the main LP's multipliers with the candidate forced, and the main
   selection with the candidate switched, repaired (columns dropped, the least value per
   unit of overspend first) and completed greedily. No solver call: 1.7 ms each at 10,000
   candidates with every constraint type.
2. the LP with the candidate forced, in HiGHS in memory (one model, the candidate's column
   bounds changed, dual simplex from the main LP's basis): its multipliers, and its solution
   rounded down and completed. 1-7 ms each at 10,000 candidates.
3. the repair of pass 1 weighing more columns, and exchanges (one column out, one in) on the
   best selection found.
4. a MIP re-solve over what can still change: columns whose move off the value their reduced
   cost favours would take the forced LP's bound below the best selection found are fixed
   (reduced-cost fixing, which keeps every better selection). HiGHS in memory, from the best
   selection found, solves small cores in milliseconds; CBC, in its own process, proves hard
   knapsacks many times faster, so it takes over what HiGHS has not closed in CBC_AFTER.

A candidate's bracket depends on it alone, not on the candidates explained with it, so
explaining them in parts (other processes, other machines) gives what explaining them
together gives, as long as each part has the time to finish.
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import scipy.sparse as sp

from . import solvers
from .model import Matrix, Model
from .reasons import ABS_TOL, REL_TOL, Forced, SearchUnavailable

# A row of the (scaled) model holds when it is exceeded by at most this, relative to its bound.
ROW_TOL = 1e-9
# Left-out columns a greedy completion tries (besides a forced LP's fractional ones): the
# best by the main LP's reduced cost.
GREEDY_EXTRA = 64
# Seconds HiGHS gets on a re-solve before CBC takes it over.
CBC_AFTER = 0.1
# Rounds of exchanges (one column out, one in) that improve a selection near the forced LP,
# each among this many columns out and in.
SWAP_ROUNDS = 8
SWAP_WIDTH = 48
# Columns the repair of the main selection may drop before it gives up.
REPAIR_STEPS = 50
# The main selection's repair in two widths: (columns the repair weighs each time, the least
# worth by the main LP's reduced cost; left-out columns the completion tries). The first
# reaches every candidate fast (1.7 ms each at 10,000 candidates with every constraint
# type); the second, in the third pass, narrows the brackets (there: median width 0.009% ->
# 0.006% of the objective, 90th percentile 0.033% -> 0.007%; 4.5 ms more each).
QUICK_ROUNDS = ((64, GREEDY_EXTRA), (256, 1024))


def forced_optima(
    model: Model,
    chosen: dict[int, int],
    pending: list[tuple],
    gap: float,
    tol: float,
    time_limit: float,
    deadline: float,
) -> dict[int, Forced]:
    """The four passes of the module's docstring, each over the candidates still open (after
    the first: those with no bracket, then the narrowest first) until the deadline."""
    search = ForcedOptima(model, chosen, tol)
    into = {i: not entry["selected"] for _, _, i, entry in pending}
    found: dict[int, Forced] = {}
    for _, _, i, _ in pending:
        if time.perf_counter() >= deadline:
            break
        found[i] = search.quick(i, into[i])
    for i in _still_open(found, tol, gap):
        if time.perf_counter() >= deadline:
            break
        found[i] = search.bounds(i, into[i], found[i], exchanges=False)
    for i in _still_open(found, tol, gap):
        if time.perf_counter() >= deadline:
            break
        found[i] = _merged(found[i], search.quick(i, into[i], QUICK_ROUNDS[1]))
        found[i] = search.bounds(i, into[i], found[i], exchanges=True)
    for i in _still_open(found, tol, gap):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        # One hard re-solve must not eat the whole budget: each gets at most a tenth of it.
        cap = min(remaining, max(0.5, time_limit / 10))
        started = time.perf_counter()
        fixed = search.fixings(i, into[i], found[i])
        # HiGHS in memory first: milliseconds on a small core. CBC proves hard knapsacks many
        # times faster (mknapcb1: 1.5 s against over 10 s), so it takes over what HiGHS does
        # not close in CBC_AFTER seconds, whichever backend solved the portfolio.
        found[i] = search.resolve(i, into[i], found[i], "highs", gap, min(cap, CBC_AFTER), fixed)
        left = cap - (time.perf_counter() - started)
        if not found[i].settled(tol, gap) and left > 0:
            found[i] = search.resolve(i, into[i], found[i], "cbc", gap, left, fixed)
    return found


class ForcedOptima:
    """The model as arrays and in HiGHS, to bracket the optimum with one candidate forced in
    or out. Built once per explanation run. Every question leaves the model as it found it
    and starts from the main LP's basis, so a candidate's answer depends on it alone."""

    def __init__(self, model: Model, chosen: dict[int, int], tol: float):
        self.model, self.tol = model, tol
        matrix = self.matrix = model.matrix
        self.columns = [[k for _, k in per] for per in model.columns]
        n, m = len(matrix.names), len(matrix.rhs)
        binary = np.array(matrix.integer, bool)
        self.binary = np.flatnonzero(binary)
        # column k of the model -> its position among the binary columns (-1: continuous)
        self.position = np.full(n, -1)
        self.position[self.binary] = np.arange(len(self.binary))
        cost = np.array(matrix.cost, np.float64)
        if cost[~binary].any():
            raise SearchUnavailable("a continuous column of the model carries value")
        self.cost = cost[self.binary]
        self.unit = _granularity(self.cost)
        self.a = sp.csr_matrix(
            (np.array(matrix.value, np.float64), np.array(matrix.index), np.array(matrix.starts)),
            shape=(m, n),
        )
        lower, upper = matrix.bounds()
        self.lo = np.array(lower, np.float64)
        self.hi = np.array(upper, np.float64)
        self.rows, self.offset, self.row_lo, self.row_hi, continuous = _binary_rows(
            self.a, binary, self.lo, self.hi, matrix
        )
        finite = np.where(np.isfinite(self.row_lo), np.abs(self.row_lo), 0.0)
        finite = np.maximum(finite, np.where(np.isfinite(self.row_hi), np.abs(self.row_hi), 0.0))
        self.row_tol = ROW_TOL * np.maximum(1.0, finite)
        self.by_column = self.rows.tocsc()
        # each entry's row bounds with the tolerance, in the column-wise order of its entries
        self.lowest = (self.row_lo - self.row_tol)[self.by_column.indices]
        self.highest = (self.row_hi + self.row_tol)[self.by_column.indices]
        self.continuous = continuous
        # each column's box for the Lagrangian bound: binaries [0, 1]; a continuous column
        # within its bounds and the most its defining row lets it reach
        self.box_lo = np.zeros(n)
        self.box_hi = np.ones(n)
        for k, r in continuous:
            row = self.rows[r]
            self.box_lo[k] = max(self.row_lo[r], self.offset[r] + np.minimum(row.data, 0).sum())
            self.box_hi[k] = min(self.row_hi[r], self.offset[r] + np.maximum(row.data, 0).sum())

        solvers._swallow_highs_banner()
        self.lp = _highs(matrix, mip=False)
        _run(self.lp)
        status = self.lp.getModelStatus()
        if status != _status().kOptimal:
            raise SearchUnavailable(f"the LP relaxation ended {status}")
        self.basis = self.lp.getBasis()
        solution = self.lp.getSolution()
        self.main = _Lagrangian(self, np.asarray(solution.row_dual)[:m])
        # the main LP's reduced costs (value form): the price-adjusted worth of each column
        self.score = -self.main.reduced[self.binary]
        at_one = np.asarray(solution.col_value)[self.binary] > 1 - 1e-6
        order = np.argsort(-self.score, kind="stable")
        self.best_left_out = order[~at_one[order]][: max(n for _, n in QUICK_ROUNDS)]
        take = np.zeros(len(self.binary), bool)
        for i, s in chosen.items():
            (k,) = [k for shift, k in model.columns[i] if shift == s]
            take[self.position[k]] = True
        self.chosen = _Selection(self, take)
        self._mip = None

    # -- pass 1: the main LP's multipliers and the main selection repaired --------------------

    def quick(self, i: int, into: bool, widths: tuple[int, int] = QUICK_ROUNDS[0]) -> Forced:
        """The main LP's Lagrangian bound with the candidate forced, and the main selection
        with the candidate switched, repaired and completed: no solver call. `widths`: how
        many columns the repair weighs at a time and how many left-out ones the completion
        tries."""
        repair_width, greedy_width = widths
        own = self.position[self.columns[i]]
        high = self._round_down(self.main.upper(self.columns[i], into))
        selection = self.chosen.copy()
        for k in own[selection.take[own]]:
            selection.flip(k, False)
        if into:
            selection.flip(own[np.argmax(self.score[own])], True)
        take = selection.take
        locked = np.zeros(len(take), bool)
        locked[own] = True
        tries = self.best_left_out[:greedy_width]
        tries = tries[~locked[tries]]
        for _ in range(3):
            self._repair(selection, locked, repair_width)
            if not selection.feasible():
                # what a failing row may need added (a required candidate, a count or a
                # share to reach), the best first
                needed = self._touching(np.flatnonzero(selection.over))
                needed = np.flatnonzero(needed & ~selection.take & ~locked)
                needed = needed[_least(-self.score[needed], greedy_width)]
                self._complete(selection, needed)
            self._complete(selection, tries)
            if selection.feasible():
                break
        low = self.value(selection.take)
        if low is None:
            return Forced(high=high)
        return Forced(low=low, high=high, selection=selection.take)

    def _repair(self, selection: _Selection, locked: np.ndarray, width: int) -> None:
        """Drop columns until every row holds: each time, of the `width` least worth columns
        by the main LP's reduced cost that would shrink the failure, the one that loses the
        least value for it (never a `locked` one)."""
        for _ in range(REPAIR_STEPS):
            failing = np.flatnonzero(selection.over)
            if not len(failing):
                return
            cols = np.flatnonzero(self._touching(failing) & selection.take & ~locked)
            cols = cols[_least(self.score[cols], width)]
            if not len(cols):
                return
            change, _ = selection.effects(cols, -1.0)
            helps = np.flatnonzero(change < 0)
            if not len(helps):
                return
            # the least value lost per unit of failure mended (what mends it all counts
            # for all of it, so of those the least valuable goes)
            mended = np.minimum(-change[helps], selection.over.sum())
            lost = np.maximum(self.cost[cols[helps]], 0.0) + 1e-9
            selection.flip(cols[helps[np.argmin(lost / mended)]], False)

    def _touching(self, rows: np.ndarray) -> np.ndarray:
        """Which columns have an entry in any of `rows`."""
        mask = np.zeros(len(self.cost), bool)
        mask[self.rows.indices[_gather(self.rows, rows)[1]]] = True
        return mask

    # -- passes 2 and 3: the LP with the candidate forced; exchanges ---------------------------

    def bounds(self, i: int, into: bool, known: Forced, exchanges: bool) -> Forced:
        """Narrow `known` by the forced LP: its Lagrangian bound, and a selection near its
        solution (rounded down and completed); with `exchanges`, that selection or the one
        known, whichever is better, improved by exchanges."""
        solved = self._forced_lp(i, into)
        if solved is None:
            return known
        if solved == "infeasible":
            return _merged(known, Forced(infeasible=True))
        lagrangian, x = solved
        own = self.position[self.columns[i]]
        high = self._round_down(lagrangian.upper(self.columns[i], into))
        take, tries, free = self._near(x, own, into)
        low = self.value(take)
        if exchanges:
            if known.low is not None and (low is None or known.low > low):
                take, low = known.selection, known.low
            if low is None or high - low > self.tol:
                take = self._swap(take, tries, free)
                low = self.value(take)
        found = Forced(low=low, high=high, selection=take if low is not None else None)
        return _merged(known, found)

    def _forced_lp(self, i: int, into: bool):
        """Solve the LP with the candidate forced, from the main LP's basis: (its Lagrangian,
        its binary values), "infeasible", or None when HiGHS ends otherwise."""
        highs = self.lp
        extra = len(self.matrix.rhs)
        undo = _force(highs, self.columns[i], into, extra)
        # from the main LP's basis and nothing else HiGHS kept from the question before, so
        # that where the forced LP has several optimal solutions it ends at the same one
        # whichever candidates were explained before (parts give what the whole gives)
        highs.clearSolver()
        highs.setBasis(self.basis)
        _run(highs)
        status = highs.getModelStatus()
        kind = _status()
        out = None
        if status == kind.kOptimal:
            solution = highs.getSolution()
            duals = np.asarray(solution.row_dual)
            extra_dual = duals[extra] if into and len(self.columns[i]) > 1 else 0.0
            own = self.columns[i]
            out = (
                _Lagrangian(self, duals[:extra], own if extra_dual else None, extra_dual),
                np.asarray(solution.col_value)[self.binary],
            )
        elif status in (kind.kInfeasible, kind.kUnboundedOrInfeasible):
            out = "infeasible"
        undo()
        return out

    def _near(self, x: np.ndarray, own: np.ndarray, into: bool):
        """A selection near the forced LP solution `x`: its whole columns, then its fractional
        ones and the main LP's best left-out ones, each added if every row still holds (or,
        while some row fails, if it makes the failure smaller). Returns (selection, the
        columns tried, the columns free to change)."""
        take = x > 1 - 1e-6
        if into and not take[own].any():
            take[own[np.argmax(x[own])]] = True
        free = np.ones(len(x), bool)
        free[own] = False
        fractional = np.flatnonzero((x > 1e-6) & ~take & free)
        fractional = fractional[np.argsort(-x[fractional], kind="stable")]
        extra = self.best_left_out[:GREEDY_EXTRA]
        extra = extra[free[extra]]
        tries = np.concatenate([fractional, extra])
        selection = _Selection(self, take)
        self._complete(selection, tries)
        return selection.take, tries, free

    def _swap(self, take: np.ndarray, tries: np.ndarray, free: np.ndarray) -> np.ndarray:
        """Improve a selection by exchanges: one of its least worth columns (by the main LP's
        reduced cost) out, one of `tries` in, the best exchange that keeps every row, then
        the greedy completion again; until no exchange gains."""
        if self.value(take) is None:
            return take
        selection = _Selection(self, take)
        for _ in range(SWAP_ROUNDS):
            take = selection.take
            out = np.flatnonzero(take & free)
            out = out[_least(self.score[out], SWAP_WIDTH)]
            into = tries[~take[tries]][:SWAP_WIDTH]
            if not len(out) or not len(into):
                break
            both = np.concatenate([out, into])
            rows = np.unique(self.by_column[:, both].indices)
            block = self.by_column[rows][:, both].toarray()
            act = selection.act[rows]
            moved = act[:, None, None] - block[:, : len(out), None] + block[:, None, len(out) :]
            tol = self.row_tol[rows][:, None, None]
            fits = np.all(
                (moved >= self.row_lo[rows][:, None, None] - tol)
                & (moved <= self.row_hi[rows][:, None, None] + tol),
                axis=0,
            )
            gain = np.where(fits, self.cost[into][None, :] - self.cost[out][:, None], -np.inf)
            a, b = np.unravel_index(np.argmax(gain), gain.shape)
            if not gain[a, b] > 0:
                break
            selection.flip(out[a], False)
            selection.flip(into[b], True)
            self._complete(selection, tries)
        return selection.take

    def _complete(self, selection: _Selection, tries: np.ndarray) -> None:
        """Add each of `tries` in turn (of value > 0) if every row still holds; while some
        row fails, if it makes the failure smaller. All of them are weighed at once first,
        then those that passed are added in turn, each weighed again alone."""
        while True:
            tries = tries[~selection.take[tries]]
            if selection.feasible():
                tries = tries[self.cost[tries] > 0]
            if not len(tries):
                return
            change, fails = selection.effects(tries, 1.0)
            passed = tries[~fails if selection.feasible() else change < 0]
            added = False
            for j in passed:
                if selection.helps(j):
                    selection.flip(j, True)
                    added = True
            if not added:
                return

    def _over(self, act: np.ndarray, rows) -> np.ndarray:
        """How far each of `rows` is outside its bounds (0 within the tolerance)."""
        tol = self.row_tol[rows]
        return np.maximum(self.row_lo[rows] - tol - act, 0.0) + np.maximum(
            act - self.row_hi[rows] - tol, 0.0
        )

    def value(self, take: np.ndarray) -> float | None:
        """The objective of a selection (binary columns), None unless every row holds."""
        act = self.rows @ take.astype(np.float64) + self.offset
        if self._over(act, slice(None)).any():
            return None
        return float(self.cost[take].sum())

    def _round_down(self, high):
        """Upper bounds on a selection's value lowered to the objective's granularity: when
        every value is a multiple of 1/unit, so is every selection's value."""
        if self.unit is None:
            return high
        v = np.asarray(high) * self.unit
        down = np.floor(v + 1e-6 + 1e-9 * np.abs(v)) / self.unit
        return float(down) if down.ndim == 0 else down

    # -- pass 4: MIP re-solves over what can still change -------------------------------------

    def fixings(self, i: int, into: bool, known: Forced) -> tuple[np.ndarray, np.ndarray]:
        """Columns that cannot change in a selection better than `known.low`, with their
        values: by the forced LP's Lagrangian, moving such a column off the value its
        reduced cost favours costs more than the bound exceeds `known.low` (reduced-cost
        fixing). A re-solve with them fixed has the forced optimum as its own, and the
        selection of value `known.low` keeps them (it cannot beat itself)."""
        none = np.zeros(0, np.int32), np.zeros(0)
        if known.low is None:
            return none
        solved = self._forced_lp(i, into)
        if not isinstance(solved, tuple):
            return none
        lagrangian = solved[0]
        high = lagrangian.upper(self.columns[i], into)
        reduced = lagrangian.reduced[self.binary]
        margin = ABS_TOL + REL_TOL * abs(high)
        flipped = self._round_down(high - np.abs(reduced) + margin)
        fix = (reduced != 0) & (flipped < known.low)
        fix[self.position[self.columns[i]]] = False
        return self.binary[fix].astype(np.int32), np.where(reduced[fix] < 0, 1.0, 0.0)

    def resolve(
        self,
        i: int,
        into: bool,
        known: Forced,
        engine: str,
        gap: float,
        cap: float,
        fixed: tuple[np.ndarray, np.ndarray],
    ) -> Forced:
        """Re-solve the MIP with the candidate forced and the `fixed` columns (see fixings)
        held, within `cap` seconds, and narrow `known` with its verdict; its selection counts
        only if every row holds."""
        if engine == "highs":
            status, bound, take = self._resolve_highs(i, into, known, gap, cap, fixed)
        else:
            status, bound, take = self._resolve_cbc(i, into, gap, cap, fixed)
        if status == "infeasible":
            return _merged(known, Forced(infeasible=True, method="resolve"))
        found = None if take is None else self.value(take)
        verdict = Forced(
            low=found,
            high=None if bound is None else self._round_down(float(bound)),
            method="resolve",
            # a re-solve proven within the gap, whose selection held, brackets within the gap
            within_gap=status == "optimal" and found is not None,
            selection=take if found is not None else None,
        )
        return _merged(known, verdict)

    def _resolve_highs(self, i: int, into: bool, known: Forced, gap: float, cap: float, fixed):
        """In memory: the same HiGHS model with the candidate's and the fixed columns' bounds
        changed, started from the best selection known."""
        if self._mip is None:
            self._mip = _highs(self.matrix, mip=True)
        highs = self._mip
        index, value = fixed
        k = len(index)
        highs.changeColsBounds(k, index, value, value)
        undo = _force(highs, self.columns[i], into, len(self.matrix.rhs))
        try:
            highs.setOptionValue("time_limit", float(cap))
            highs.setOptionValue("mip_rel_gap", float(gap))
            highs.clearSolver()  # as for the forced LP: nothing kept from the question before
            if known.selection is not None:
                full = self._columns_of(known.selection)
                highs.setSolution(len(full), np.arange(len(full), dtype=np.int32), full)
            _run(highs)
            kind = _status()
            status = highs.getModelStatus()
            info = highs.getInfo()
            take = None
            if info.primal_solution_status == 2:
                take = np.asarray(highs.getSolution().col_value)[self.binary] > 0.5
            bound = -info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None
        finally:
            undo()
            highs.changeColsBounds(k, index, np.zeros(k), np.ones(k))
        if status == kind.kOptimal:
            return "optimal", bound, take
        if status in (kind.kInfeasible, kind.kUnboundedOrInfeasible):
            return "infeasible", None, None
        return "stopped", bound, take

    def _resolve_cbc(self, i: int, into: bool, gap: float, cap: float, fixed):
        """CBC in its own process, on the model with one row forcing the candidate and the
        fixed columns' bounds closed (PuLP writes them into the MPS file)."""
        import pulp  # here: PuLP costs 0.17 s to import, and only this path needs it

        lp = self.model.subproblem(self.model.groups, objective=True)
        pairs = [(v, 1.0) for _, v in self.model.starts[i]]
        lp.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression(pairs), pulp.LpConstraintEQ, "explain", 1 if into else 0
            )
        )
        variables = self.model.variables
        held = [variables[k] for k in fixed[0]]
        for var, v in zip(held, fixed[1], strict=True):
            var.lowBound = var.upBound = float(v)
        try:
            run = solvers.run(lp, "cbc", cap, gap)
        finally:
            for var in held:
                var.lowBound, var.upBound = 0, 1
        take = None
        if run.status in ("optimal", "feasible"):
            values = [variables[k].varValue or 0.0 for k in self.binary]
            take = np.array(values, np.float64) > 0.5
        status = {"optimal": "optimal", "infeasible": "infeasible"}.get(run.status, "stopped")
        return status, run.bound, take

    def _columns_of(self, take: np.ndarray) -> np.ndarray:
        """Every column's value for a selection: the binaries, and each continuous column
        from the row that defines it."""
        full = np.zeros(len(self.position), np.float64)
        full[self.binary] = take
        act = self.rows @ take.astype(np.float64) + self.offset
        for k, r in self.continuous:
            full[k] = act[r]
        return full


class _Selection:
    """A selection (binary columns) with its rows' activities and how far each row fails,
    kept up to date column by column."""

    def __init__(self, search: ForcedOptima, take: np.ndarray):
        self.search = search
        self.take = take.copy()
        self.act = search.rows @ self.take.astype(np.float64) + search.offset
        self.over = search._over(self.act, slice(None))

    def copy(self) -> _Selection:
        other = copy.copy(self)
        other.take, other.act, other.over = self.take.copy(), self.act.copy(), self.over.copy()
        return other

    def feasible(self) -> bool:
        return not self.over.any()

    def effects(self, cols: np.ndarray, sign: float) -> tuple[np.ndarray, np.ndarray]:
        """For each of `cols` moved in (sign 1) or out (-1) alone: the change of the total
        failure, and whether any of its rows would then fail."""
        search = self.search
        owner, at = _gather(search.by_column, cols)
        rows = search.by_column.indices[at]
        moved = self.act[rows] + sign * search.by_column.data[at]
        now = np.maximum(search.lowest[at] - moved, 0.0)
        now += np.maximum(moved - search.highest[at], 0.0)
        change = np.bincount(owner, now - self.over[rows], minlength=len(cols))
        fails = np.bincount(owner, now > 0, minlength=len(cols)) > 0
        return change, fails

    def helps(self, j: int) -> bool:
        """Whether adding column j keeps every row holding (or, while some row fails, makes
        the failure smaller): `effects` for one column, without the gathering."""
        search = self.search
        start, end = search.by_column.indptr[j], search.by_column.indptr[j + 1]
        rows = search.by_column.indices[start:end]
        moved = self.act[rows] + search.by_column.data[start:end]
        now = np.maximum(search.lowest[start:end] - moved, 0.0)
        now += np.maximum(moved - search.highest[start:end], 0.0)
        if self.feasible():
            return not now.any()
        return now.sum() < self.over[rows].sum()

    def flip(self, j: int, on: bool) -> None:
        by_column = self.search.by_column
        start, end = by_column.indptr[j], by_column.indptr[j + 1]
        rows = by_column.indices[start:end]
        self.act[rows] += (1.0 if on else -1.0) * by_column.data[start:end]
        self.over[rows] = self.search._over(self.act[rows], rows)
        self.take[j] = on


class _Lagrangian:
    """An upper bound from LP row multipliers, valid whatever their quality: for any
    multipliers y (a multiplier on a side with no bound dropped), HiGHS's minimisation of
    -value gives -value(x) = y.(A x) + d.x with d = -cost - A'y, so every selection within
    the rows and the column boxes has -value >= the sum of y's row terms and of each column's
    least d_j x_j over its box. With the main LP's optimal y this is the LP bound, worked out
    again in plain arithmetic: no solver tolerance enters it."""

    def __init__(self, search: ForcedOptima, y: np.ndarray, own=None, extra_dual: float = 0.0):
        lo, hi = search.lo, search.hi
        y = np.where((y > 0) & ~np.isfinite(lo), 0.0, y)
        y = np.where((y < 0) & ~np.isfinite(hi), 0.0, y)
        cost = np.zeros(search.a.shape[1])
        cost[search.binary] = search.cost
        reduced = -cost - search.a.T @ y
        rows = np.where(y > 0, y * np.where(np.isfinite(lo), lo, 0.0), 0.0).sum()
        rows += np.where(y < 0, y * np.where(np.isfinite(hi), hi, 0.0), 0.0).sum()
        if own is not None:  # the extra row: the candidate's starts sum to 1
            reduced[own] -= extra_dual
            rows += extra_dual
        self.reduced = reduced
        self.box = np.minimum(reduced * search.box_lo, reduced * search.box_hi)
        self.total = float(rows + self.box.sum())

    def upper(self, own: list[int], into: bool) -> float:
        """The bound on the value with the candidate of columns `own` forced: out, each of
        its columns at 0; in, exactly one of them at 1."""
        lowest = self.total - self.box[own].sum()
        if into:
            lowest += self.reduced[own].min()
        return -float(lowest)


def _gather(matrix: sp.csr_matrix | sp.csc_matrix, which: np.ndarray):
    """The entries of some rows of a CSR matrix (or columns of a CSC one): (position in
    `which`, place among the matrix's entries) for each; scipy's own slicing costs more than
    the work done with them here."""
    start = matrix.indptr[which]
    lengths = matrix.indptr[which + 1] - start
    owner = np.repeat(np.arange(len(which)), lengths)
    at = np.repeat(start - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    return owner, at


def _least(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k smallest values, smallest first (ties by position)."""
    if len(values) > k:
        picked = np.argpartition(values, k - 1)[:k]
        return picked[np.lexsort((picked, values[picked]))]
    return np.lexsort((np.arange(len(values)), values))


def _merged(known: Forced, new: Forced) -> Forced:
    """Both brackets at once: the better selection, the lower bound. A claim that nothing is
    feasible gives way to a selection that was checked."""
    if new.infeasible or known.infeasible:
        kept = known if new.infeasible else new
        if kept.low is not None:
            return kept
        return Forced(infeasible=True, method=new.method if new.infeasible else known.method)
    low, selection = known.low, known.selection
    if new.low is not None and (low is None or new.low > low):
        low, selection = new.low, new.selection
    highs = [h for h in (known.high, new.high) if h is not None]
    method = "resolve" if "resolve" in (known.method, new.method) else "bounds"
    return Forced(low, min(highs, default=None), False, method, new.within_gap, selection)


def _still_open(found: dict[int, Forced], tol: float, gap: float) -> list[int]:
    """The candidates whose bracket is not settled: those with no bracket yet first (they
    have no answer at all), then the narrowest first (the likeliest to close next)."""
    open_ = [(f.width() < math.inf, f.width(), i) for i, f in found.items()]
    return [i for *_, i in sorted(item for item in open_ if not found[item[2]].settled(tol, gap))]


def _bound(v: float | None, default: float) -> float:
    return default if v is None else float(v)


def _status():
    import highspy

    return highspy.HighsModelStatus


def _highs(matrix: Matrix, mip: bool):
    """A HiGHS model of `matrix` (as the solve hands it over) plus one free empty row at the
    end, which forces a candidate with several starts (see _force)."""
    import highspy

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    # One thread: HiGHS's task scheduler costs more than it gives on these small re-solves
    # (measured: 3.8 ms against 53 ms per core MIP of ~22 columns on a loaded 2-core machine;
    # a main solve after it, on the same process-wide scheduler, was no slower). See _run.
    highs.setOptionValue("threads", 1)
    solvers.load_highs(highs, matrix, mip)
    inf = highspy.kHighsInf
    highs.addRow(-inf, inf, 0, np.zeros(0, np.int32), np.zeros(0, np.float64))
    return highs


def _run(highs) -> None:
    """Run HiGHS. Its thread scheduler is one per process, made by the first run: when a solve
    before made it with more threads, a run asking for one fails at once, and this instance
    then takes the scheduler as it is."""
    import highspy

    if highs.run() == highspy.HighsStatus.kError and not _threads_given_up(highs):
        highs.setOptionValue("threads", 0)
        highs.run()


def _threads_given_up(highs) -> bool:
    """Whether this instance already takes the scheduler's thread count (option 0)."""
    value = highs.getOptionValue("threads")
    # highspy 1.16 answers (status, value); earlier versions the value alone
    return (value[-1] if isinstance(value, tuple) else value) == 0


def _force(highs, columns: list[int], into: bool, extra_row: int):
    """Force a candidate out (its start columns fixed at 0) or in (its one start column fixed
    at 1; with several starts, the extra row says their sum is 1). Returns the undo."""
    import highspy

    index = np.array(columns, np.int32)
    k = len(index)
    if not into or k == 1:
        fixed = np.full(k, 1.0 if into else 0.0)
        highs.changeColsBounds(k, index, fixed, fixed)
        return lambda: highs.changeColsBounds(k, index, np.zeros(k), np.ones(k))
    for col in columns:
        highs.changeCoeff(extra_row, col, 1.0)
    highs.changeRowBounds(extra_row, 1.0, 1.0)

    def undo() -> None:
        highs.changeRowBounds(extra_row, -highspy.kHighsInf, highspy.kHighsInf)
        for col in columns:
            highs.changeCoeff(extra_row, col, 0.0)

    return undo


def _binary_rows(a: sp.csr_matrix, binary: np.ndarray, lo, hi, matrix: Matrix):
    """The rows over the binary columns alone: each continuous column is replaced by the
    equality row that defines it from binaries (total_cost = sum of selected costs), and that
    row becomes the column's own value, held within its bounds. Returns (rows, offset, lo,
    hi, [(column, row)]): row r of a selection x reads rows[r] @ x + offset[r]."""
    m = a.shape[0]
    columns = np.flatnonzero(binary)
    rows = a[:, columns].tocsr()
    offset = np.zeros(m)
    lo, hi = lo.copy(), hi.copy()
    by_column = a.tocsc()
    continuous = []
    for k in np.flatnonzero(~binary):
        defining = [
            r
            for r in by_column.indices[by_column.indptr[k] : by_column.indptr[k + 1]]
            if lo[r] == hi[r]
            and binary[a.indices[a.indptr[r] : a.indptr[r + 1]]].sum()
            == a.indptr[r + 1] - a.indptr[r] - 1
        ]
        if not defining:
            raise SearchUnavailable(f"no row defines the continuous column {matrix.names[k]}")
        r = defining[0]
        pivot = a[r, k]
        weights = rows[r] / pivot  # column k = lo[r] / pivot - weights @ x
        own = a[:, [k]]
        rows = (rows - own @ weights).tolil()
        offset += own.toarray().ravel() * (lo[r] / pivot)
        rows[r] = -weights
        rows = rows.tocsr()
        offset[r] = lo[r] / pivot
        lo[r], hi[r] = matrix.lower[k], matrix.upper[k]
        continuous.append((int(k), int(r)))
    rows.eliminate_zeros()
    return rows, offset, lo, hi, continuous


def _granularity(cost: np.ndarray) -> float | None:
    """The smallest unit (1, 10, ..., 10,000 per value unit) that makes every value whole,
    so that a selection's value is a multiple of 1/unit; None when there is none."""
    for unit in (1.0, 10.0, 100.0, 1000.0, 10000.0):
        scaled = cost * unit
        if np.abs(scaled).sum() >= 2.0**50:
            return None
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-12 * np.maximum(1.0, np.abs(scaled))):
            return unit
    return None
