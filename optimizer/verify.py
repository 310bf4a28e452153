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
from collections.abc import Iterable, Mapping
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


@dataclass
class Tally:
    """Exact totals of one selection (candidate index -> start shift)."""

    spend: dict[str, Decimal]
    usage: dict[str, dict[str, Decimal]]
    total: Decimal  # cost over all periods
    value: Decimal  # the objective: each selected candidate's counted value at its start
    tail: Decimal  # run cost in the years counted past the horizon
    count: int


def tally(problem: Problem, chosen: Mapping[int, int]) -> Tally:
    """Spend, usage, total cost, value and tail of a selection, exactly."""
    periods = problem.periods
    index = {p: k for k, p in enumerate(periods)}
    spend = [ZERO] * len(periods)
    usage = {pool: [ZERO] * len(periods) for pool in problem.capacity}
    timing = Timing(problem)
    total = value = tail = ZERO
    plain = problem.run_cost_past_horizon is None or not problem.run_cost_past_horizon.penalty
    with decimal.localcontext(EXACT):
        for i, s in chosen.items():
            c = problem.candidates[i]
            for p, v in c.cost.items():
                if v:
                    amount = exact(v)
                    spend[index[p] + s] += amount
                    total += amount
            for pool, per in c.effort.items():
                row = usage.get(pool)
                if row is None:
                    continue
                for p, v in per.items():
                    if v:
                        row[index[p] + s] += exact(v)
            if plain and not c.value_by_period:
                value += exact(c.value)
            else:
                value += exact(timing.counted_value(c, s))
            if c.run_cost and problem.run_cost_past_horizon is not None:
                tail += exact(c.run_cost) * len(timing.tail_positions(c, s))
    return Tally(
        dict(zip(periods, spend, strict=True)),
        {pool: dict(zip(periods, row, strict=True)) for pool, row in usage.items()},
        total,
        value,
        tail,
        len(chosen),
    )


def rows(problem: Problem, chosen: Mapping[int, int], totals: Tally | None = None) -> list[Row]:
    """Every rule of the problem on the selection, named as the model's groups are."""
    t = totals or tally(problem, chosen)
    out: list[Row] = []
    with decimal.localcontext(EXACT):
        for p, limit in problem.budget.items():
            out.append(Row(f"budget {p}", "budget", t.spend[p], exact(limit), info={"period": p}))
        for pool, per in problem.capacity.items():
            for p, limit in per.items():
                out.append(
                    Row(
                        f"capacity {pool} {p}",
                        "capacity",
                        t.usage[pool][p],
                        exact(limit),
                        info={"pool": pool, "period": p},
                    )
                )
        picked = {problem.candidates[i].id for i in chosen}
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
        out += _share_rows(problem, chosen, t.total)
        if problem.count is not None:
            n = Decimal(t.count)
            if problem.count.min > 0:
                out.append(Row("count min", "count_min", n, Decimal(problem.count.min), False))
            if problem.count.max is not None:
                out.append(Row("count max", "count_max", n, Decimal(problem.count.max)))
        for i, s in chosen.items():
            # a start the model offers (shifted amounts stay within the periods)
            c = problem.candidates[i]
            if s not in allowed_shifts(c, problem.periods):
                out.append(Row(f"start {c.id}", "start", Decimal(s), ZERO))
    return out


def _share_rows(problem: Problem, chosen: Mapping[int, int], total: Decimal) -> list[Row]:
    """Share bounds: min x T <= (cost of the department's or theme's selected) <= max x T."""
    if not problem.department_share and not problem.theme_share:
        return []
    departments = {d: ZERO for d in problem.department_share}
    themes = {t: ZERO for t in problem.theme_share}
    for i in chosen:
        c = problem.candidates[i]
        if c.department in departments or any(t in themes for t in c.themes):
            cost = sum((exact(v) for v in c.cost.values() if v), ZERO)
            if c.department in departments:
                departments[c.department] += cost
            for t in c.themes:
                if t in themes:
                    themes[t] += cost
    out = []
    for who, key, mine, share, names in [
        *(
            (d, "department", departments[d], s, (f"department_share {d} min", "department_share"))
            for d, s in problem.department_share.items()
        ),
        *(
            (t, "theme", themes[t], s, (f"theme_min_share {t}", "theme_share"))
            for t, s in problem.theme_share.items()
        ),
    ]:
        info = {key: who, "min": share.min, "max": share.max}
        if share.min > 0:
            kind = "department_share_min" if key == "department" else "theme_min_share"
            out.append(Row(names[0], kind, mine, exact(share.min) * total, False, info))
        if share.max < 1:
            kind = "department_share_max" if key == "department" else "theme_share_max"
            name = f"{names[1]} {who} max"
            out.append(Row(name, kind, mine, exact(share.max) * total, True, info))
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


def best(problem: Problem, only: Iterable[str] | None = None) -> dict[int, int] | None:
    """The selection of greatest exact value that keeps every rule (of the group names
    `only`, when given), by trying each one; None when none does. For tiny problems: there
    are `selections(problem)` of them."""
    import itertools

    options = [[None, *allowed_shifts(c, problem.periods)] for c in problem.candidates]
    keep = None if only is None else set(only)
    found, found_value = None, None
    for combo in itertools.product(*options):
        chosen = {i: s for i, s in enumerate(combo) if s is not None}
        totals = tally(problem, chosen)
        if any(
            not r.ok and (keep is None or r.name in keep) for r in rows(problem, chosen, totals)
        ):
            continue
        if keep is not None and not keep:
            return chosen
        if found_value is None or totals.value > found_value:
            found, found_value = chosen, totals.value
    return found


def witness(problem: Problem, only: Iterable[str] | None = None) -> dict[int, int] | None:
    """A selection that needs no solver and keeps every rule (of `only`): nothing selected,
    or the forced-in candidates at their planned start; None when neither does."""
    index = {c.id: i for i, c in enumerate(problem.candidates)}
    for chosen in ({}, {index[cid]: 0 for cid in problem.force_in}):
        if not broken(problem, chosen, only):
            return chosen
    return None
