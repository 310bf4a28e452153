"""Explanations in time (issue 13): when a left-out candidate would have fit and the value per
period it would need; why a selected one stays in despite negative impacts or a tail cost.

Plain arithmetic on the chosen portfolio and the figures `explanations.explanations` already
has; nothing here calls a solver.
"""

from __future__ import annotations

from typing import Any

from . import wording
from .problem import Candidate, Problem
from .timing import Timing

_TOL = 1e-9


def add_time_notes(
    problem: Problem,
    chosen: dict[int, int],
    entries: list[dict[str, Any]],
    only: set[int] | None = None,
) -> None:
    """Add `fits_at`, `value_per_period_to_enter` and `despite` to the entries, in place
    (to those of the candidate indices `only` when given)."""
    timing = Timing(problem)
    room = _Room(problem, timing, chosen)
    for i, (c, entry) in enumerate(zip(problem.candidates, entries, strict=True)):
        if only is not None and i not in only:
            continue
        if entry["selected"]:
            _despite(timing, c, chosen[i], entry)
        else:
            _later_start(problem, timing, room, c, entry)
            _per_period(timing, c, entry)


class _Room:
    """What the chosen portfolio leaves of each budget, capacity and the tail budget."""

    def __init__(self, problem: Problem, timing: Timing, chosen: dict[int, int]):
        n = len(problem.periods)
        self.index = timing.index
        self.n = n
        self.budget = [None] * n
        for p, limit in problem.budget.items():
            self.budget[self.index[p]] = limit
        self.capacity = {pool: [None] * n for pool in problem.capacity}
        for pool, per in problem.capacity.items():
            for p, limit in per.items():
                self.capacity[pool][self.index[p]] = limit
        tail = problem.run_cost_past_horizon
        self.tail = tail.budget if tail is not None else None
        for i, s in chosen.items():
            c = problem.candidates[i]
            for j, v in self._cost(c, s):
                if self.budget[j] is not None:
                    self.budget[j] -= v
            for pool, j, v in self._effort(c, s):
                if self.capacity[pool][j] is not None:
                    self.capacity[pool][j] -= v
            if self.tail is not None:
                self.tail -= timing.tail_cost(c, s)

    def _cost(self, c: Candidate, s: int):
        return [(self.index[p] + s, v) for p, v in c.cost.items() if v]

    def _effort(self, c: Candidate, s: int):
        return [
            (pool, self.index[p] + s, v)
            for pool, per in c.effort.items()
            for p, v in per.items()
            if v
        ]

    def fits(self, c: Candidate, s: int, tail_cost: float) -> bool:
        cost, effort = self._cost(c, s), self._effort(c, s)
        if any(j >= self.n for j, _ in cost) or any(j >= self.n for _, j, _ in effort):
            return False
        if any(self.budget[j] is not None and v > self.budget[j] + _TOL for j, v in cost):
            return False
        for pool, j, v in effort:
            left = self.capacity[pool][j]
            if left is not None and v > left + _TOL:
                return False
        return self.tail is None or tail_cost <= self.tail + _TOL


def _later_start(
    problem: Problem, timing: Timing, room: _Room, c: Candidate, entry: dict[str, Any]
) -> None:
    """The first start (any delay, not only the allowed ones) at which the candidate fits in
    what the chosen portfolio leaves of every budget and capacity, and what it counts for
    there. Other rules (links, shares, counts) are not part of this check."""
    if entry.get("reason") not in ("value", "infeasible"):
        return
    for s in range(len(problem.periods)):
        if room.fits(c, s, timing.tail_cost(c, s)):
            first = min(
                [room.index[p] for p, v in c.cost.items() if v]
                + [room.index[p] for per in c.effort.values() for p, v in per.items() if v],
                default=0,
            )
            allowed = s <= c.may_start_later_by
            worth = timing.counted_value(c, s)
            entry["fits_at"] = {
                "start": problem.periods[first + s],
                "delay": s,
                "allowed": allowed,
                "value": worth,
            }
            # said in words only for a later start: at its planned start the value sentence
            # already explains it, and where nothing fits the limits say why (limits.py)
            if s and allowed:
                note = f"It fits if it starts in {problem.periods[first + s]} ({s} later)"
            elif s:
                note = (
                    f"It would fit if it started in {problem.periods[first + s]} ({s} later; "
                    f"it may start at most {c.may_start_later_by} later)"
                )
            if s:
                entry["text"] += f" {note}, where it would count for {wording.amount(worth)}."
            return
    entry["fits_at"] = None


def accrual_positions(timing: Timing, c: Candidate) -> list[int]:
    """Where its stream accrues at the planned start (inside the horizon)."""
    return sorted(timing.stream(c, 0))


def _per_period(timing: Timing, c: Candidate, entry: dict[str, Any]) -> None:
    """The flat value per period over its stream's periods that would make it enter (its
    one-off value and its run-cost penalty kept), discounted as the objective does. Only for
    candidates with a stream: for a one-off value, `value_to_enter` says it."""
    need = entry.get("value_to_enter")
    if need is None or not c.value_by_period:
        return
    positions = accrual_positions(timing, c)
    weight = sum(timing.factor[j] for j in positions)
    if not weight:
        return
    kept = c.value - timing.penalty(c, 0)
    per = max(need - kept, 0.0) / weight
    entry["value_per_period_to_enter"] = per
    span = timing.periods[positions[0]]
    if len(positions) > 1:
        span += f"-{timing.periods[positions[-1]]}"
    now = ""
    if c.value_by_period:
        stream = timing.stream(c, 0)
        now = " (now " + ", ".join(wording.amount(stream[j]) for j in positions) + ")"
    entry["text"] += f" As a value per period it would need {wording.amount(per)} in {span}{now}."


def _despite(timing: Timing, c: Candidate, s: int, entry: dict[str, Any]) -> None:
    """Selected although it has negative impacts, a negative value or a tail cost: say so and
    by how much it stays in (its `value_lost`, the value it could lose and stay)."""
    against: dict[str, float] = {}
    words = []
    if c.negative_impact:
        against["negative_impact"] = c.negative_impact
        words.append(f"negative impacts worth {wording.amount(c.negative_impact)}")
    if c.value < 0 and not c.negative_impact:
        against["negative_value"] = -c.value
        words.append(f"a negative value of {wording.amount(c.value)}")
    tail = timing.tail_cost(c, s)
    if tail:
        against["run_cost_past_horizon"] = tail
        phrase = f"{wording.amount(tail)} of run cost in the {timing.years} years past the horizon"
        penalty = timing.penalty(c, s)
        if penalty:
            against["penalty"] = penalty
            phrase += f" (a penalty of {wording.amount(penalty)} in value)"
        words.append(phrase)
    elif c.run_cost and timing.runs_after_horizon(c, s):
        against["run_cost"] = c.run_cost
        words.append(f"a run cost of {wording.amount(c.run_cost)} a period after the horizon")
    if not words:
        return
    entry["despite"] = against
    head = f"{entry['id']} is selected despite {wording.ids(words)}"
    margin = entry.get("value_lost")
    if entry.get("reason") == "forced_in":
        entry["text"] = f"{head}: it is forced in."
    elif margin is not None:
        entry["margin"] = margin
        entry["text"] = (
            f"{head}: forcing it out would lose {wording.amount(margin)} of value, so it stays "
            f"selected with up to {wording.amount(margin)} more against it."
        )
    elif entry.get("computed") is not False:
        entry["text"] = f"{head}: without it no portfolio meets the constraints."
    else:
        entry["text"] = f"{head}. " + entry["text"]
