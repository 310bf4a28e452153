"""Value and run cost over time: what a candidate is worth at a start delay, one formula each.

Positions are 0-based indexes into `periods`; a value stated for period p accrues at position
index(p) + delay and counts v / (1 + r)^position; past the last period it is lost. The model,
the result, the explanations and robustness all read these functions, so the objective the
solver sees and the numbers reported are the same arithmetic.
"""

from __future__ import annotations

from .problem import Candidate, Problem


def discount_factors(rate: float, count: int) -> list[float]:
    """1 / (1 + rate)^j for j = 0..count-1."""
    return [1.0 / (1.0 + rate) ** j for j in range(count)]


class Timing:
    """The problem's time arithmetic, with the discount factors and period index made once.

    Factors cover the periods and the years counted past the horizon. `terms` is the one
    formula; the other methods read it.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.periods = problem.periods
        self.n = len(problem.periods)
        self.tail = problem.run_cost_past_horizon
        self.years = self.tail.years if self.tail is not None else 0
        self.penalty_rate = self.tail.penalty if self.tail is not None else 0.0
        self.factor = discount_factors(problem.discount_rate, self.n + self.years)
        self.index = {p: k for k, p in enumerate(problem.periods)}

    def go_live(self, c: Candidate, delay: int) -> int:
        """Position at which run costs start: `go_live` if given, else the period after the
        last non-zero cost or effort entry (the first period for an empty profile), plus the
        delay. May be n or more (goes live past the horizon)."""
        index = self.index
        if c.go_live is not None:
            return index[c.go_live] + delay
        last = -1
        for p, v in c.cost.items():
            if v and index[p] > last:
                last = index[p]
        for per in c.effort.values():
            for p, v in per.items():
                if v and index[p] > last:
                    last = index[p]
        return last + 1 + delay

    def _tail_range(self, c: Candidate, live: int) -> range:
        """Positions n .. n+years-1 at which a candidate live from `live` still runs."""
        end = live + c.lifetime if c.lifetime is not None else self.n + self.years
        return range(max(live, self.n), min(end, self.n + self.years))

    def terms(self, c: Candidate, shifts) -> list[tuple[float, float]]:
        """(counted value, tail money) for each shift s in `shifts`.

        Counted value = value + sum of v / (1+r)^(j+s) over the stream's positions j with
        j + s < n - penalty x run_cost x sum of 1 / (1+r)^k over the tail positions k.
        Tail money = run_cost x the number of tail positions (the years counted past the
        horizon between go-live and the end of its lifetime).
        """
        n, factor, index = self.n, self.factor, self.index
        stream = [(index[p], v) for p, v in c.value_by_period.items() if v]
        tail_on = self.tail is not None and bool(c.run_cost)
        if not tail_on:  # the common case: the stream alone, no go-live to find
            return [
                (c.value + sum(v * factor[j + s] for j, v in stream if j + s < n), 0.0)
                for s in shifts
            ]
        live = self.go_live(c, 0) if tail_on else 0
        out = []
        for s in shifts:
            total = c.value
            for j, v in stream:
                if j + s < n:
                    total += v * factor[j + s]
            money = 0.0
            if tail_on:
                positions = self._tail_range(c, live + s)
                money = c.run_cost * len(positions)
                if self.penalty_rate:
                    total -= self.penalty_rate * c.run_cost * sum(factor[k] for k in positions)
            out.append((total, money))
        return out

    def stream(self, c: Candidate, delay: int) -> dict[int, float]:
        """Position -> undiscounted value of the stream accruing there at `delay` (shifted
        past the last period it is lost; the one-off `value` is in no period)."""
        out: dict[int, float] = {}
        for p, v in c.value_by_period.items():
            j = self.index[p] + delay
            if v and j < self.n:
                out[j] = out.get(j, 0.0) + v
        return out

    def counted_value(self, c: Candidate, delay: int) -> float:
        """What the candidate adds to the objective at `delay` (see `terms`)."""
        return self.terms(c, (delay,))[0][0]

    def tail_cost(self, c: Candidate, delay: int) -> float:
        """Run cost in the years counted past the horizon (undiscounted money)."""
        return self.terms(c, (delay,))[0][1]

    def tail_positions(self, c: Candidate, delay: int) -> range:
        """Positions past the horizon at which its run cost is counted."""
        if self.tail is None or not c.run_cost:
            return range(0)
        return self._tail_range(c, self.go_live(c, delay))

    def penalty(self, c: Candidate, delay: int) -> float:
        """The value the run-cost penalty takes from the objective at `delay`."""
        if not self.penalty_rate or not c.run_cost:
            return 0.0
        return (
            self.penalty_rate
            * c.run_cost
            * sum(self.factor[k] for k in self.tail_positions(c, delay))
        )

    def runs_after_horizon(self, c: Candidate, delay: int) -> bool:
        """Does the candidate run (cost) at any time after the horizon?"""
        if not c.run_cost:
            return False
        return c.lifetime is None or self.go_live(c, delay) + c.lifetime > self.n
