"""Check a selection against every rule of its problem in exact arithmetic, with no tolerance.

The solvers work in floating point and accept a row that is broken by their tolerance
(about 1e-7 of a limit for CBC, 1e-6 for HiGHS): 1,000,000,100 spent against a budget of
1,000,000,000 passed. Every answer is checked here, on the problem's own numbers, before it is
reported; the totals reported (spend, usage, slack, the objective) are the exact ones, rounded
once at the end.

A number means the decimal it prints as (`repr`, the shortest text that reads back as the same
float): the JSON text `0.1` is one tenth, so a share of 0.1 of a total of 10 is exactly 1.
Sums and products are Python decimals in a context that raises instead of rounding
(`Inexact`, `Rounded`): a result is exact or there is none. Decimals, not `fractions`: the same
exactness, about ten times faster at 50,000 candidates (each number is parsed once, in C).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .model import allowed_shifts
from .problem import Problem
from .timing import Timing

# 1,000 digits hold any sum or product of numbers in the optimizer's range (at most 1e15 in
# size, 17 significant digits, non-zero amounts at least 1e-6) many times over.
EXACT = decimal.Context(
    prec=1000,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[
        decimal.Inexact,
        decimal.Rounded,
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
    ],
)
ZERO = Decimal(0)


def exact(x: float) -> Decimal:
    """The decimal a number prints as: 0.1 -> Decimal('0.1'); integers stay integers."""
    if isinstance(x, int):
        return Decimal(x)
    if x.is_integer():
        return Decimal(int(x))
    return Decimal(repr(x))


@dataclass
class Row:
    """One rule of the problem checked on a selection.

    `used` and `limit` are exact; `slack` is what is left (limit - used for an upper bound,
    used - limit for a lower one), negative when the rule is broken. Link rules (requires,
    exclusive, together, force, one start) count members: `used` the selected ones.
    """

    name: str
    kind: str
    used: Decimal
    limit: Decimal
    upper: bool = True
    info: dict = field(default_factory=dict)

    @property
    def slack(self) -> Decimal:
        with decimal.localcontext(EXACT):
            return self.limit - self.used if self.upper else self.used - self.limit

    @property
    def ok(self) -> bool:
        return self.used <= self.limit if self.upper else self.used >= self.limit


class Tally:
    """Exact totals of a selection (candidate index -> start shift), kept up to date as
    candidates are added and taken out (`add`), so a repair can try many changes cheaply."""

    def __init__(self, problem: Problem, chosen: Mapping[int, int] | None = None):
        self.problem = problem
        self.periods = problem.periods
        self._index = {p: k for k, p in enumerate(problem.periods)}
        self._timing = Timing(problem)
        n = len(problem.periods)
        self._spend = [ZERO] * n
        self._usage = {pool: [ZERO] * n for pool in problem.capacity}
        self.total = ZERO  # cost over all periods
        self.value = ZERO  # the objective: each one's counted value at its start
        self.tail = ZERO  # run cost in the years counted past the horizon
        self.count = 0
        self.department = dict.fromkeys(problem.department_share, ZERO)
        self.theme = dict.fromkeys(problem.theme_share, ZERO)
        self.bad_starts: set[int] = set()  # chosen at a start the model does not offer
        tail = problem.run_cost_past_horizon
        self._tail_on = tail is not None
        self._plain = tail is None or not tail.penalty
        self.chosen: dict[int, int] = {}
        self.picked: set[str] = set()  # the chosen ones' ids
        for i, s in (chosen or {}).items():
            self.add(i, s)

    def add(self, i: int, s: int, sign: int = 1) -> None:
        """Count candidate i at shift s in (sign 1) or out again (sign -1)."""
        c = self.problem.candidates[i]
        index = self._index
        with decimal.localcontext(EXACT):
            cost = ZERO
            for p, v in c.cost.items():
                if v:
                    amount = exact(v) if sign > 0 else -exact(v)
                    self._spend[index[p] + s] += amount
                    cost += amount
            self.total += cost
            if c.department in self.department:
                self.department[c.department] += cost
            for t in c.themes:
                if t in self.theme:
                    self.theme[t] += cost
            for pool, per in c.effort.items():
                row = self._usage.get(pool)
                if row is not None:
                    for p, v in per.items():
                        if v:
                            row[index[p] + s] += exact(v) if sign > 0 else -exact(v)
            if self._plain and not c.value_by_period:
                value = exact(c.value)
            else:
                value = exact(self._timing.counted_value(c, s))
            self.value += value if sign > 0 else -value
            if c.run_cost and self._tail_on:
                money = exact(c.run_cost) * len(self._timing.tail_positions(c, s))
                self.tail += money if sign > 0 else -money
        self.count += sign
        if sign > 0:
            self.chosen[i] = s
            self.picked.add(c.id)
            if s and s not in allowed_shifts(c, self.periods):
                self.bad_starts.add(i)
        else:
            del self.chosen[i]
            self.picked.discard(c.id)
            self.bad_starts.discard(i)

    @property
    def spend(self) -> dict[str, Decimal]:
        return dict(zip(self.periods, self._spend, strict=True))

    @property
    def usage(self) -> dict[str, dict[str, Decimal]]:
        return {
            pool: dict(zip(self.periods, row, strict=True)) for pool, row in self._usage.items()
        }


def tally(problem: Problem, chosen: Mapping[int, int]) -> Tally:
    """Spend, usage, total cost, value and tail of a selection, exactly."""
    return Tally(problem, chosen)


def rows(problem: Problem, chosen: Mapping[int, int], totals: Tally | None = None) -> list[Row]:
    """Every rule of the problem on the selection, named as the model's groups are."""
    t = totals or tally(problem, chosen)
    spend, usage = t.spend, t.usage
    out: list[Row] = []
    with decimal.localcontext(EXACT):
        for p, limit in problem.budget.items():
            out.append(Row(f"budget {p}", "budget", spend[p], exact(limit), info={"period": p}))
        for pool, per in problem.capacity.items():
            for p, limit in per.items():
                out.append(
                    Row(
                        f"capacity {pool} {p}",
                        "capacity",
                        usage[pool][p],
                        exact(limit),
                        info={"pool": pool, "period": p},
                    )
                )
        candidates = problem.candidates
        picked = t.picked
        for k, (a, b) in enumerate(problem.requires):
            # selecting a needs b: (a selected) - (b selected) <= 0
            out.append(
                Row(f"requires[{k}]", "requires", Decimal((a in picked) - (b in picked)), ZERO)
            )
        for k, group in enumerate(problem.exclusive):
            used = Decimal(sum(cid in picked for cid in group))
            out.append(Row(f"exclusive[{k}]", "exclusive", used, Decimal(1)))
        for k, group in enumerate(problem.together):
            # all or none: the number selected is 0 or all of them
            n = sum(cid in picked for cid in group)
            out.append(Row(f"together[{k}]", "together", Decimal(n not in (0, len(group))), ZERO))
        for cid in problem.force_in:
            out.append(
                Row(f"force_in {cid}", "force_in", Decimal(cid in picked), Decimal(1), False)
            )
        for cid in problem.force_out:
            out.append(Row(f"force_out {cid}", "force_out", Decimal(cid in picked), ZERO))
        tail = problem.run_cost_past_horizon
        if tail is not None and tail.budget is not None:
            out.append(
                Row(
                    "run_cost_past_horizon",
                    "run_cost_past_horizon",
                    t.tail,
                    exact(tail.budget),
                    info={"years": tail.years},
                )
            )
        out += _share_rows(problem, t)
        if problem.count is not None:
            n = Decimal(t.count)
            if problem.count.min > 0:
                out.append(Row("count min", "count_min", n, Decimal(problem.count.min), False))
            if problem.count.max is not None:
                out.append(Row("count max", "count_max", n, Decimal(problem.count.max)))
        for i in sorted(t.bad_starts):
            # a start the model offers (shifted amounts stay within the periods)
            out.append(Row(f"start {candidates[i].id}", "start", Decimal(chosen[i]), ZERO))
    return out


def _share_rows(problem: Problem, t: Tally) -> list[Row]:
    """Share bounds: min x T <= (cost of the department's or theme's selected) <= max x T."""
    out = []
    for who, key, mine, share, names in [
        *(
            (d, "department", t.department[d], s, (f"department_share {d} min", "department_share"))
            for d, s in problem.department_share.items()
        ),
        *(
            (th, "theme", t.theme[th], s, (f"theme_min_share {th}", "theme_share"))
            for th, s in problem.theme_share.items()
        ),
    ]:
        info = {key: who, "min": share.min, "max": share.max}
        if share.min > 0:
            kind = "department_share_min" if key == "department" else "theme_min_share"
            out.append(Row(names[0], kind, mine, exact(share.min) * t.total, False, info))
        if share.max < 1:
            kind = "department_share_max" if key == "department" else "theme_share_max"
            name = f"{names[1]} {who} max"
            out.append(Row(name, kind, mine, exact(share.max) * t.total, True, info))
    return out


def broken(
    problem: Problem, chosen: Mapping[int, int], only: Iterable[str] | None = None
) -> list[Row]:
    """The rules the selection breaks (of the group names `only`, when given)."""
    keep = None if only is None else set(only)
    return [r for r in rows(problem, chosen) if not r.ok and (keep is None or r.name in keep)]


# At most this many selections (each candidate out or at one of its starts): enumerated
# exactly instead of calling a solver (a 1-candidate problem then starts no CBC process).
ENUMERATE_AT_MOST = 16


def tiny(problem: Problem) -> bool:
    """Is the problem small enough to try every selection (`best`)?"""
    return selections(problem) <= ENUMERATE_AT_MOST


def selections(problem: Problem) -> int:
    """How many selections there are: each candidate out or at one of its starts."""
    n = 1
    for c in problem.candidates:
        n *= 1 + len(allowed_shifts(c, problem.periods))
        if n > 1 << 20:
            break
    return n


def feasible(
    problem: Problem, only: Iterable[str] | None = None
) -> Iterator[tuple[dict[int, int], Decimal]]:
    """Every selection that keeps every rule (of the group names `only`, when given), with
    its exact value, by trying each one. For tiny problems: there are `selections(problem)`
    of them."""
    import itertools

    options = [[None, *allowed_shifts(c, problem.periods)] for c in problem.candidates]
    keep = None if only is None else set(only)
    for combo in itertools.product(*options):
        chosen = {i: s for i, s in enumerate(combo) if s is not None}
        totals = tally(problem, chosen)
        if not any(
            not r.ok and (keep is None or r.name in keep) for r in rows(problem, chosen, totals)
        ):
            yield chosen, totals.value


def best(problem: Problem, only: Iterable[str] | None = None) -> dict[int, int] | None:
    """The selection of greatest exact value that keeps every rule (of the group names
    `only`, when given; any selection when `only` is empty); None when none does."""
    keep = None if only is None else set(only)
    found, found_value = None, None
    for chosen, value in feasible(problem, keep):
        if keep is not None and not keep:
            return chosen
        if found_value is None or value > found_value:
            found, found_value = chosen, value
    return found


def witness(problem: Problem, only: Iterable[str] | None = None) -> dict[int, int] | None:
    """A selection that needs no solver and keeps every rule (of `only`): nothing selected,
    or the forced-in candidates at their planned start; None when neither does."""
    index = {c.id: i for i, c in enumerate(problem.candidates)}
    for chosen in ({}, {index[cid]: 0 for cid in problem.force_in}):
        if not broken(problem, chosen, only):
            return chosen
    return None


def repair(problem: Problem, chosen: Mapping[int, int], tries: int = 200) -> Tally | None:
    """A selection near `chosen` that keeps every rule: the candidate whose removal loses
    least value and leaves every rule kept is taken out (of the `tries` least valuable
    that are not forced in), then the left-out candidates of most value that fit are added
    while they fit (as many tries). None when no single removal does.

    For an answer that broke a limit by the solver's tolerance: 100 over a budget of
    1.54e9 at 50,000 candidates, where taking out one candidate costing 100 or more in that
    period costs a few parts in a million of the value.
    """
    totals = Tally(problem, chosen)
    forced = {i for i, c in enumerate(problem.candidates) if c.id in set(problem.force_in)}
    order = sorted(
        (i for i in chosen if i not in forced), key=lambda i: _counted(totals, i, chosen[i])
    )
    for i in order[:tries]:
        s = totals.chosen[i]
        totals.add(i, s, -1)
        if _keeps(problem, totals):
            _refill(problem, totals, tries)
            return totals
        totals.add(i, s)
    return None


def _counted(totals: Tally, i: int, s: int) -> Decimal:
    c = totals.problem.candidates[i]
    return exact(totals._timing.counted_value(c, s))


def _keeps(problem: Problem, totals: Tally) -> bool:
    return all(r.ok for r in rows(problem, totals.chosen, totals))


def _refill(problem: Problem, totals: Tally, tries: int) -> None:
    """Add left-out candidates (most valuable first, at their planned start, none forced
    out) while each keeps every rule."""
    out = {c.id for c in problem.candidates} - set(problem.force_out)
    left = [
        i
        for i, c in enumerate(problem.candidates)
        if i not in totals.chosen and c.id in out and _counted(totals, i, 0) > 0
    ]
    left.sort(key=lambda i: _counted(totals, i, 0), reverse=True)
    for i in left[:tries]:
        totals.add(i, 0)
        if not _keeps(problem, totals):
            totals.add(i, 0, -1)
