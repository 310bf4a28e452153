"""Value and run cost over time: what a candidate is worth at a start delay, one formula each.

Positions are 0-based indexes into `periods`; a value stated for period p accrues at position
index(p) + delay and counts v / (1 + r)^position; past the last period it is lost. The model,
the result, the explanations and robustness all read these functions, so the objective the
solver sees and the numbers reported are the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence

from .problem import Candidate, Problem


def discount_factors(rate: float, count: int) -> list[float]:
    """1 / (1 + rate)^j for j = 0..count-1."""
    return [1.0 / (1.0 + rate) ** j for j in range(count)]


def value_stream(candidate: Candidate, periods: Sequence[str], delay: int) -> dict[int, float]:
    """Position -> undiscounted value accruing there at `delay` (value shifted past the end is
    lost; the one-off `value` is in no period)."""
    index = {p: k for k, p in enumerate(periods)}
    out: dict[int, float] = {}
    for p, v in candidate.value_by_period.items():
        j = index[p] + delay
        if v and j < len(periods):
            out[j] = out.get(j, 0.0) + v
    return out


def go_live(candidate: Candidate, periods: Sequence[str], delay: int) -> int:
    """Position at which run costs start: `go_live` if given, else the period after the last
    non-zero cost or effort entry (the first period for an empty profile), plus the delay.
    May be len(periods) or more (goes live past the horizon)."""
    index = {p: k for k, p in enumerate(periods)}
    if candidate.go_live is not None:
        return index[candidate.go_live] + delay
    used = [index[p] for p, v in candidate.cost.items() if v]
    for per in candidate.effort.values():
        used.extend(index[p] for p, v in per.items() if v)
    return (max(used) + 1 if used else 0) + delay


def tail_positions(candidate: Candidate, n_periods: int, years: int, delay: int, periods) -> range:
    """Positions past the horizon (n .. n+years-1) at which the candidate runs (costs run)."""
    if not candidate.run_cost:
        return range(0)
    start = go_live(candidate, periods, delay)
    end = start + candidate.lifetime if candidate.lifetime is not None else n_periods + years
    return range(max(start, n_periods), min(end, n_periods + years))


class Timing:
    """The problem's time arithmetic, with the discount factors computed once.

    Factors cover the periods and the years counted past the horizon.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.periods = problem.periods
        self.n = len(problem.periods)
        self.tail = problem.run_cost_past_horizon
        self.years = self.tail.years if self.tail is not None else 0
        self.factor = discount_factors(problem.discount_rate, self.n + self.years)
        self.index = {p: k for k, p in enumerate(problem.periods)}

    def stream(self, c: Candidate, delay: int) -> dict[int, float]:
        """`value_stream` with the period index computed once."""
        out: dict[int, float] = {}
        for p, v in c.value_by_period.items():
            j = self.index[p] + delay
            if v and j < self.n:
                out[j] = out.get(j, 0.0) + v
        return out

    def counted_value(self, c: Candidate, delay: int) -> float:
        """What the candidate adds to the objective at `delay`: its one-off value, plus its
        discounted stream, minus the run-cost penalty (if the problem sets one)."""
        total = c.value
        if c.value_by_period:
            total += self.stream_value(c, delay)
        if self.tail is not None and self.tail.penalty and c.run_cost:
            total -= self.tail.penalty * self.discounted_tail(c, delay)
        return total

    def stream_value(self, c: Candidate, delay: int) -> float:
        """The discounted value of the stream alone at `delay`."""
        return sum(v * self.factor[j] for j, v in self.stream(c, delay).items())

    def tail_cost(self, c: Candidate, delay: int) -> float:
        """Run cost in the years counted past the horizon (undiscounted money)."""
        if self.tail is None:
            return 0.0
        return c.run_cost * len(tail_positions(c, self.n, self.years, delay, self.periods))

    def discounted_tail(self, c: Candidate, delay: int) -> float:
        """Run cost in the years counted past the horizon, each year discounted."""
        if self.tail is None:
            return 0.0
        return c.run_cost * sum(
            self.factor[j] for j in tail_positions(c, self.n, self.years, delay, self.periods)
        )

    def penalty(self, c: Candidate, delay: int) -> float:
        """The value the run-cost penalty takes from the objective at `delay`."""
        if self.tail is None or not self.tail.penalty:
            return 0.0
        return self.tail.penalty * self.discounted_tail(c, delay)

    def runs_after_horizon(self, c: Candidate, delay: int) -> bool:
        """Does the candidate run (cost) at any time after the horizon?"""
        if not c.run_cost:
            return False
        return c.lifetime is None or go_live(c, self.periods, delay) + c.lifetime > self.n
