"""Why each candidate is in or out and the value at stake: the reasons that need no solver,
the forced optima, and the sentences (issue 15).

A candidate's value at stake is the optimum minus the optimum with the candidate forced the
other way (out when selected, in when not). Tiny problems (`verify.tiny`) get that forced
optimum by trying every selection in exact arithmetic, with no solver and without numpy,
scipy or highspy (the CLI's fixed cost); the others by the bracket search of
optimizer/explanations.py, imported only then.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import verify, wording
from .hindsight import add_time_notes
from .model import Model
from .timing import Timing

# Two values closer than this are the same optimum: the absolute gap HiGHS proves at gap 0
# (mip_abs_gap), plus a relative part for large objectives, where float sums are this coarse.
ABS_TOL = 1e-6
REL_TOL = 1e-9


def explanations(
    model: Model,
    chosen: dict[int, int],
    objective: float,
    backend: str,
    *,
    exact: bool,
    gap: float,
    time_limit: float,
    only: set[int] | None = None,
) -> list[dict[str, Any]]:
    """Why each candidate is in or out, with the value at stake.

    Selected: the value lost if it were forced out (and the value it may drop to and stay).
    Not selected: the first reason that applies (forced out, a required candidate not selected,
    an exclusive partner selected), else the value lost if it were forced in and the value it
    would need to enter. Tiny problems: every selection is tried (`method: enumeration`, all
    exact). Else the values come from brackets on the forced optimum (see the docstring of
    optimizer/explanations.py): the first pass takes the candidates in a fixed order
    (selected by rising value, then the others by falling value), the later ones the
    narrowest brackets first;
    all stop when `time_limit` seconds are spent, and each MIP re-solve is capped at a tenth
    of the budget (at least 0.5 s). A bracket left open reports `value_lost_range`
    (`computed: false`); candidates the first pass did not reach say why they were not
    computed. Nothing is worked out unless the main solve was proven optimal (within its
    gap). The solve's `backend` does not change the answers: the search uses HiGHS and CBC
    as that docstring says. With `only`, just the candidates of those indices are
    explained and returned.
    """
    problem = model.problem
    deadline = time.perf_counter() + time_limit
    out, pending = _reasons(problem, chosen)
    if only is not None:
        pending = [item for item in pending if item[2] in only]
    pending.sort(key=lambda item: item[:3])
    found: dict[int, Forced] = {}
    tol = ABS_TOL + REL_TOL * abs(objective)
    why = "the solve was not proven optimal" if not exact else "the explanation time ran out"
    if exact and pending and verify.tiny(problem):
        found = _enumerated(problem, pending)
    elif exact and pending and time.perf_counter() < deadline:
        from .explanations import forced_optima  # numpy, scipy and highspy: 0.2-0.3 s

        try:
            found = forced_optima(model, chosen, pending, gap, tol, time_limit, deadline)
        except SearchUnavailable as exc:
            why = f"the explanation search could not start: {exc}"
    for _, _, i, entry in pending:
        if i in found:
            _write(entry, found[i], objective, tol, gap)
        else:
            entry.update(computed=False, text=f"{entry['id']}: not computed ({why}).")
    add_time_notes(problem, chosen, out, only)
    if only is not None:
        out = [entry for i, entry in enumerate(out) if i in only]
    return out


def _enumerated(problem, pending: list[tuple]) -> dict[int, Forced]:
    """The forced optima of a tiny problem, exact: the best selection that keeps every rule
    with each pending candidate switched (in when not selected, out when selected)."""
    into = {i: not entry["selected"] for _, _, i, entry in pending}
    best: dict[int, Decimal] = {}
    for chosen, value in verify.feasible(problem):
        for i, wanted in into.items():
            if (i in chosen) == wanted and (i not in best or value > best[i]):
                best[i] = value
    return {
        i: Forced(float(best[i]), float(best[i]), method="enumeration")
        if i in best
        else Forced(infeasible=True, method="enumeration")
        for i in into
    }


def _reasons(problem, chosen: dict[int, int]) -> tuple[list[dict], list[tuple]]:
    """One entry per candidate with the reasons that need no solver; `pending` lists those
    whose reason is their value as (group, order key, index, entry)."""
    selected_ids = {problem.candidates[i].id for i in chosen}
    forced_in, forced_out = set(problem.force_in), set(problem.force_out)
    requires: dict[str, list[str]] = {}
    for a, b in problem.requires:
        requires.setdefault(a, []).append(b)
    partners: dict[str, list[str]] = {}
    for group in problem.exclusive:
        for cid in group:
            partners.setdefault(cid, []).extend(o for o in group if o != cid)

    out: list[dict[str, Any]] = []
    pending: list[tuple[int, float, int, dict[str, Any]]] = []
    timing = Timing(problem)
    for i, c in enumerate(problem.candidates):
        # the value it counts for: at its chosen start when selected, else at its planned one
        value = timing.counted_value(c, chosen.get(i, 0))
        entry: dict[str, Any] = {"id": c.id, "selected": c.id in selected_ids, "value": value}
        out.append(entry)
        if entry["selected"]:
            if c.id in forced_in:
                entry.update(reason="forced_in", text=f"{c.id} is selected: it is forced in.")
            else:
                entry["reason"] = "value"
                pending.append((0, value, i, entry))
            continue
        if c.id in forced_out:
            entry.update(reason="forced_out", text=f"{c.id} is not selected: it is forced out.")
            continue
        missing = [b for b in requires.get(c.id, []) if b not in selected_ids]
        if missing:
            entry.update(
                reason="requires",
                related=missing,
                text=f"{c.id} is not selected: it requires {wording.ids(missing)}, "
                f"which {'is' if len(missing) == 1 else 'are'} not selected.",
            )
            continue
        rivals = [o for o in partners.get(c.id, []) if o in selected_ids]
        if rivals:
            entry.update(
                reason="exclusive",
                related=rivals,
                text=f"{c.id} is not selected: {wording.ids(rivals)} "
                f"{'is' if len(rivals) == 1 else 'are'} selected and they exclude each other.",
            )
            continue
        entry["reason"] = "value"
        pending.append((1, -value, i, entry))
    return out, pending


class SearchUnavailable(RuntimeError):
    """The model has a shape the search does not handle (or its LP would not solve): the
    explanations then say so rather than fail the solve."""


@dataclass
class Forced:
    """What is known of the optimum with one candidate forced the other way."""

    low: float | None = None  # value of the best selection found and checked (None: none)
    high: float | None = None  # proven upper bound (None: none)
    infeasible: bool = False  # proven: no selection meets the constraints
    # "bounds" alone, "resolve": a MIP re-solve ran, "enumeration": every selection tried
    method: str = "bounds"
    within_gap: bool = False  # the re-solve proved `low` optimal within the gap asked for
    selection: Any = None  # the selection of value `low` (binary columns, a numpy array)

    def settled(self, tol: float, gap: float) -> bool:
        """Exact (within `tol`), or within the relative gap asked for: what a re-solve with
        that gap would have accepted."""
        width = self.width()
        if width <= tol or (self.within_gap and self.low is not None):
            return True
        if width == math.inf:  # no selection found, or no bound: nothing to be within a gap of
            return False
        return width <= gap * max(abs(self.low), abs(self.high))

    def width(self) -> float:
        if self.infeasible:
            return 0.0
        if self.low is None or self.high is None:
            return math.inf
        return max(float(self.high - self.low), 0.0)


def _write(entry: dict[str, Any], forced: Forced, objective: float, tol: float, gap: float) -> None:
    """The entry's numbers and sentence from what is known of its forced optimum."""
    cid, value, selected = entry["id"], entry["value"], entry["selected"]
    entry["method"] = forced.method
    if forced.infeasible:
        entry.update(computed=True, exact=True, value_lost=None)
        if selected:
            entry["text"] = f"{cid} is selected: without it no portfolio meets the constraints."
        else:
            entry["reason"] = "infeasible"
            entry["text"] = (
                f"{cid} is not selected: no portfolio that includes it meets the constraints."
            )
        return
    if forced.low is None:
        entry.update(computed=False, exact=False)
        why = (
            "the re-solve found no answer in time"
            if forced.method == "resolve"
            else "the explanation time ran out"
        )
        entry["text"] = f"{cid}: not computed ({why})."
        return
    lost = max(objective - forced.low, 0.0)
    least = lost if forced.high is None else max(objective - forced.high, 0.0)
    exact = forced.width() <= tol
    if not forced.settled(tol, gap):
        entry.update(computed=False, exact=False, value_lost_range=[least, lost])
        why = (
            "the re-solve stopped on time"
            if forced.method == "resolve"
            else "the explanation time ran out before a re-solve"
        )
        entry["text"] = (
            f"{cid}: the value at stake is between {wording.amount(least)} and "
            f"{wording.amount(lost)} ({why})."
        )
        return
    entry.update(computed=True, exact=exact, value_lost=lost)
    if not exact:
        entry["value_lost_range"] = [least, lost]
    if selected:
        entry["value_to_stay"] = value - lost
        entry["text"] = (
            f"{cid} is selected: forcing it out would lose {wording.amount(lost)} of value; "
            f"it stays selected while its value is at least {wording.amount(value - lost)}."
        )
    else:
        entry["value_to_enter"] = value + lost
        entry["text"] = (
            f"{cid} is not selected: forcing it in would lose {wording.amount(lost)} of value; "
            f"it would need a value of at least {wording.amount(value + lost)} "
            f"(now {wording.amount(value)}) to enter."
        )
