"""The optimizer's problem document: dataclasses, validation by path, and JSON round trips."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

PROBLEM_SCHEMA = "converge.problem/1"
RESULT_SCHEMA = "converge.result/1"

# The optimizer's range (docs/optimizer.md, "Range"). Every number is at most AMOUNT_MAX in size:
# integers up to it are exact in a double, and larger values broke both solvers (CBC crashed
# on 1e300, called 1e16 infeasible). A non-zero amount is at least AMOUNT_MIN in size: smaller
# ones vanish in the solvers' tolerances (HiGHS called an optimum of 1e-7 zero).
AMOUNT_MAX = 1e15
AMOUNT_MIN = 1e-6
# Discount factors 1/(1+r)^j are computed for the periods and the years past the horizon.
YEARS_MAX = 1000
_POWER_MAX = 300  # (1 + r)^j must stay below 10^300

_TOP_FIELDS = {
    "schema",
    "periods",
    "budget",
    "capacity",
    "candidates",
    "requires",
    "exclusive",
    "together",
    "force_in",
    "force_out",
    "department_share",
    "theme_min_share",
    "theme_share",
    "count",
    "discount_rate",
    "run_cost_past_horizon",
}
_CANDIDATE_FIELDS = {
    "id",
    "value",
    "value_low",
    "value_high",
    "cost",
    "effort",
    "department",
    "themes",
    "may_start_later_by",
    "value_by_period",
    "run_cost",
    "lifetime",
    "go_live",
    "negative_impact",
}
_TAIL_FIELDS = ("years", "budget", "penalty")


class InvalidProblem(ValueError):
    """Raised by `Problem.from_dict` when the document breaks the schema; `.errors` lists why."""

    def __init__(self, errors: list[str]):
        super().__init__("invalid problem: " + "; ".join(errors[:5]))
        self.errors = errors


@dataclass(frozen=True)
class Candidate:
    """One idea that may be selected, with its value, cost and effort profiles.

    `value` is a one-off amount (not shifted, not discounted; 0 when only `value_by_period`
    is given); `value_by_period` is a stream that moves with the chosen start and is
    discounted (see optimizer/timing.py). `run_cost` per period runs from go-live for
    `lifetime` periods (None: for ever); `negative_impact` is informational (explanations).
    """

    id: str
    value: float = 0.0
    cost: dict[str, float] = field(default_factory=dict)
    effort: dict[str, dict[str, float]] = field(default_factory=dict)
    value_low: float | None = None
    value_high: float | None = None
    department: str | None = None
    themes: tuple[str, ...] = ()
    may_start_later_by: int = 0
    value_by_period: dict[str, float] = field(default_factory=dict)
    run_cost: float = 0.0
    lifetime: int | None = None
    go_live: str | None = None
    negative_impact: float = 0.0
    has_value: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the candidate as it appears in the problem JSON (optional fields omitted)."""
        out: dict[str, Any] = {"id": self.id}
        if self.has_value or not self.value_by_period:
            out["value"] = self.value
        if self.value_by_period:
            out["value_by_period"] = dict(self.value_by_period)
        if self.value_low is not None:
            out["value_low"] = self.value_low
        if self.value_high is not None:
            out["value_high"] = self.value_high
        out["cost"] = dict(self.cost)
        if self.effort:
            out["effort"] = {pool: dict(per) for pool, per in self.effort.items()}
        if self.department is not None:
            out["department"] = self.department
        if self.themes:
            out["themes"] = list(self.themes)
        if self.may_start_later_by:
            out["may_start_later_by"] = self.may_start_later_by
        if self.run_cost:
            out["run_cost"] = self.run_cost
        if self.lifetime is not None:
            out["lifetime"] = self.lifetime
        if self.go_live is not None:
            out["go_live"] = self.go_live
        if self.negative_impact:
            out["negative_impact"] = self.negative_impact
        return out


@dataclass(frozen=True)
class Share:
    """Lower and upper share (fractions of total selected cost) for a department or theme."""

    min: float = 0.0
    max: float = 1.0


@dataclass(frozen=True)
class CountLimit:
    """Bounds on how many candidates are selected; None means unbounded on that side."""

    min: int = 0
    max: int | None = None


@dataclass(frozen=True)
class TailRule:
    """Run costs past the horizon: counted for `years` periods after the last one.

    `budget`: their total over those years must not exceed it (a budget line of its own).
    `penalty`: the objective loses penalty x their discounted total (value per unit of money).
    Either, both or neither (then they are only reported).
    """

    years: int
    budget: float | None = None
    penalty: float = 0.0


@dataclass(frozen=True)
class Problem:
    """A portfolio selection problem (schema `converge.problem/1`, see docs/optimizer.md)."""

    periods: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    budget: dict[str, float] = field(default_factory=dict)
    capacity: dict[str, dict[str, float]] = field(default_factory=dict)
    requires: tuple[tuple[str, str], ...] = ()
    exclusive: tuple[tuple[str, ...], ...] = ()
    together: tuple[tuple[str, ...], ...] = ()
    force_in: tuple[str, ...] = ()
    force_out: tuple[str, ...] = ()
    department_share: dict[str, Share] = field(default_factory=dict)
    theme_share: dict[str, Share] = field(default_factory=dict)
    count: CountLimit | None = None
    discount_rate: float = 0.0
    run_cost_past_horizon: TailRule | None = None

    @property
    def theme_min_share(self) -> dict[str, float]:
        """The lower theme bounds alone (the older field's view of `theme_share`)."""
        return {t: s.min for t, s in self.theme_share.items() if s.min > 0}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        """Validate a problem document and build a Problem; raise InvalidProblem on any error."""
        errors = validate(data)
        if errors:
            raise InvalidProblem(errors)
        return cls._from_valid(data)

    @classmethod
    def _from_valid(cls, data: Mapping[str, Any]) -> Problem:
        candidates = tuple(
            Candidate(
                id=c["id"],
                value=float(c.get("value", 0.0)),
                has_value="value" in c,
                value_by_period={p: float(v) for p, v in c.get("value_by_period", {}).items()},
                run_cost=float(c.get("run_cost", 0.0)),
                lifetime=_opt_int(c.get("lifetime")),
                go_live=c.get("go_live"),
                negative_impact=float(c.get("negative_impact", 0.0)),
                cost={p: float(v) for p, v in c.get("cost", {}).items()},
                effort={
                    pool: {p: float(v) for p, v in per.items()}
                    for pool, per in c.get("effort", {}).items()
                },
                value_low=_opt_float(c.get("value_low")),
                value_high=_opt_float(c.get("value_high")),
                department=c.get("department"),
                themes=tuple(c.get("themes", ())),
                may_start_later_by=int(c.get("may_start_later_by", 0)),
            )
            for c in data["candidates"]
        )
        count = data.get("count")
        theme_share = {t: Share(float(v), 1.0) for t, v in data.get("theme_min_share", {}).items()}
        for t, sh in data.get("theme_share", {}).items():
            theme_share[t] = Share(float(sh.get("min", 0.0)), float(sh.get("max", 1.0)))
        tail = data.get("run_cost_past_horizon")
        return cls(
            periods=tuple(data["periods"]),
            candidates=candidates,
            budget={p: float(v) for p, v in data.get("budget", {}).items()},
            capacity={
                pool: {p: float(v) for p, v in per.items()}
                for pool, per in data.get("capacity", {}).items()
            },
            requires=tuple((a, b) for a, b in data.get("requires", ())),
            exclusive=tuple(tuple(g) for g in data.get("exclusive", ())),
            together=tuple(tuple(g) for g in data.get("together", ())),
            force_in=tuple(data.get("force_in", ())),
            force_out=tuple(data.get("force_out", ())),
            department_share={
                d: Share(float(s.get("min", 0.0)), float(s.get("max", 1.0)))
                for d, s in data.get("department_share", {}).items()
            },
            theme_share=theme_share,
            count=None
            if count is None
            else CountLimit(int(count.get("min", 0)), _opt_int(count.get("max"))),
            discount_rate=float(data.get("discount_rate", 0.0)),
            run_cost_past_horizon=None
            if tail is None
            else TailRule(
                int(tail["years"]), _opt_float(tail.get("budget")), float(tail.get("penalty", 0))
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the problem as a `converge.problem/1` JSON-ready dict."""
        out: dict[str, Any] = {
            "schema": PROBLEM_SCHEMA,
            "periods": list(self.periods),
            "budget": dict(self.budget),
            "capacity": {pool: dict(per) for pool, per in self.capacity.items()},
            "candidates": [c.to_dict() for c in self.candidates],
            "requires": [list(pair) for pair in self.requires],
            "exclusive": [list(g) for g in self.exclusive],
            "together": [list(g) for g in self.together],
            "force_in": list(self.force_in),
            "force_out": list(self.force_out),
            "department_share": {
                d: {"min": s.min, "max": s.max} for d, s in self.department_share.items()
            },
            "theme_share": {t: {"min": s.min, "max": s.max} for t, s in self.theme_share.items()},
        }
        if self.discount_rate:
            out["discount_rate"] = self.discount_rate
        tail = self.run_cost_past_horizon
        if tail is not None:
            out["run_cost_past_horizon"] = {"years": tail.years, "penalty": tail.penalty}
            if tail.budget is not None:
                out["run_cost_past_horizon"]["budget"] = tail.budget
        if self.count is not None:
            count: dict[str, Any] = {"min": self.count.min}
            if self.count.max is not None:
                count["max"] = self.count.max
            out["count"] = count
        return out

    def with_budget_factor(self, factor: float) -> Problem:
        """Return a copy with every period's budget multiplied by `factor`."""
        return replace(self, budget={p: b * factor for p, b in self.budget.items()})

    def with_values(self, values: Mapping[str, float]) -> Problem:
        """Return a copy where candidates take the values given by id (others keep theirs)."""
        candidates = tuple(
            replace(c, value=float(values[c.id])) if c.id in values else c for c in self.candidates
        )
        return replace(self, candidates=candidates)


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _is_number(v: Any) -> bool:
    # an int of any size is finite (math.isfinite would convert it to a float and overflow)
    if type(v) is float:
        return math.isfinite(v)
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and math.isfinite(v))


def _is_name(v: Any) -> bool:
    return isinstance(v, str) and v.strip() != ""


class _Checker:
    """Collects `path: message` errors while walking the document."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def number(
        self,
        path: str,
        v: Any,
        low: float | None = 0.0,
        high: float | None = None,
        amount: bool = False,
    ) -> bool:
        """A finite number within [low, high] and the optimizer's range; an `amount` that is
        not 0 is also at least AMOUNT_MIN in size."""
        if not _is_number(v):
            self.add(path, "must be a number")
            return False
        size = abs(v)
        if size > AMOUNT_MAX:
            self.add(path, f"must be at most {AMOUNT_MAX:g} in size (the optimizer's range)")
            return False
        if amount and 0 < size < AMOUNT_MIN:
            self.add(path, f"must be 0 or at least {AMOUNT_MIN:g} in size (the optimizer's range)")
            return False
        if low is not None and v < low:
            self.add(path, f"must be >= {_fmt(low)}")
            return False
        if high is not None and v > high:
            self.add(path, f"must be <= {_fmt(high)}")
            return False
        return True

    def integer(self, path: str, v: Any, low: int = 0, high: float = AMOUNT_MAX) -> bool:
        if not isinstance(v, int) or isinstance(v, bool):
            self.add(path, "must be an integer")
            return False
        if v < low:
            self.add(path, f"must be >= {low}")
            return False
        if v > high:
            self.add(path, f"must be <= {_fmt(high)}")
            return False
        return True

    def mapping(self, path: str, v: Any) -> bool:
        if type(v) is not dict and not isinstance(v, Mapping):  # a dict is checked fast
            self.add(path, "must be an object")
            return False
        return True

    def sequence(self, path: str, v: Any) -> bool:
        if not isinstance(v, list | tuple):
            self.add(path, "must be a list")
            return False
        return True

    def per_period(self, path: str, v: Any, periods: set[str]) -> float | None:
        """A {period: number >= 0} object whose periods are all listed in `periods`; returns
        the sum of its amounts when all are valid (else None)."""
        if not self.mapping(path, v):
            return None
        total, valid = 0.0, True
        for p, amount in v.items():
            # the common case in one test: a float in range in a listed period (nan fails it)
            if type(amount) is float and AMOUNT_MIN <= amount <= AMOUNT_MAX and p in periods:
                total += amount
            elif p not in periods:
                self.add(f"{path}.{p}", "period is not listed in periods")
                valid = False
            elif self.number(f"{path}.{p}", amount, amount=True):
                total += abs(amount)
            else:
                valid = False
        return total if valid else None


def _fmt(x: float) -> str:
    if abs(x) >= 1e6:
        return f"{x:g}"
    return str(int(x)) if float(x).is_integer() else str(x)


def validate(data: Any) -> list[str]:
    """Return every schema error in a problem document as `path: message`; [] when valid.

    Accepts a dict (the JSON document) or a `Problem`.
    """
    if isinstance(data, Problem):
        data = data.to_dict()
    ck = _Checker()
    if not isinstance(data, Mapping):
        ck.add("$", "problem must be a JSON object")
        return ck.errors
    for key in data:
        if key not in _TOP_FIELDS:
            ck.add(str(key), "unknown field")
    if data.get("schema") != PROBLEM_SCHEMA:
        ck.add("schema", f"must be {PROBLEM_SCHEMA!r}")

    periods: set[str] = set()
    raw_periods = data.get("periods")
    if raw_periods is None:
        ck.add("periods", "required")
    elif ck.sequence("periods", raw_periods):
        if not raw_periods:
            ck.add("periods", "must list at least one period")
        for k, p in enumerate(raw_periods):
            if not _is_name(p):
                ck.add(f"periods[{k}]", "must be a non-empty string")
            elif p in periods:
                ck.add(f"periods[{k}]", f"duplicate period {p!r}")
            else:
                periods.add(p)
    n_periods = len(raw_periods) if isinstance(raw_periods, list | tuple) else 0

    if "budget" in data:
        ck.per_period("budget", data["budget"], periods)

    pools: set[str] = set()
    capacity = data.get("capacity", {})
    if ck.mapping("capacity", capacity):
        for pool, per in capacity.items():
            if not _is_name(pool):
                ck.add(f"capacity.{pool}", "pool name must be a non-empty string")
                continue
            pools.add(pool)
            ck.per_period(f"capacity.{pool}", per, periods)

    ids: set[str] = set()
    departments: set[str] = set()
    themes: set[str] = set()
    candidates = data.get("candidates")
    if candidates is None:
        ck.add("candidates", "required")
    elif ck.sequence("candidates", candidates):
        for k, c in enumerate(candidates):
            _check_candidate(ck, f"candidates[{k}]", c, periods, pools, n_periods, ids)
            if isinstance(c, Mapping):
                if _is_name(c.get("department")):
                    departments.add(c["department"])
                if isinstance(c.get("themes"), list | tuple):
                    themes.update(t for t in c["themes"] if isinstance(t, str))

    def known(path: str, v: Any) -> bool:
        if not isinstance(v, str):
            ck.add(path, "must be a candidate id (string)")
            return False
        if v not in ids:
            ck.add(path, f"unknown candidate id {v!r}")
            return False
        return True

    requires = data.get("requires", [])
    if ck.sequence("requires", requires):
        for k, pair in enumerate(requires):
            path = f"requires[{k}]"
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                ck.add(path, "must be a pair [candidate, required candidate]")
                continue
            ok = known(f"{path}[0]", pair[0]) & known(f"{path}[1]", pair[1])
            if ok and pair[0] == pair[1]:
                ck.add(path, "a candidate cannot require itself")

    for name in ("exclusive", "together"):
        groups = data.get(name, [])
        if not ck.sequence(name, groups):
            continue
        for k, group in enumerate(groups):
            path = f"{name}[{k}]"
            if not isinstance(group, list | tuple) or len(group) < 2:
                ck.add(path, "must be a list of at least two candidate ids")
                continue
            seen: set[str] = set()
            for j, cid in enumerate(group):
                if known(f"{path}[{j}]", cid):
                    if cid in seen:
                        ck.add(f"{path}[{j}]", f"duplicate id {cid!r} in group")
                    seen.add(cid)

    forced: dict[str, set[str]] = {}
    for name in ("force_in", "force_out"):
        items = data.get(name, [])
        forced[name] = set()
        if not ck.sequence(name, items):
            continue
        for j, cid in enumerate(items):
            if known(f"{name}[{j}]", cid):
                if cid in forced[name]:
                    ck.add(f"{name}[{j}]", f"duplicate id {cid!r}")
                forced[name].add(cid)
    for j, cid in enumerate(data.get("force_out", []) if forced["force_out"] else []):
        if cid in forced["force_in"]:
            ck.add(f"force_out[{j}]", f"{cid} is also in force_in")

    shares = data.get("department_share", {})
    if ck.mapping("department_share", shares):
        for dept, share in shares.items():
            path = f"department_share.{dept}"
            if dept not in departments:
                ck.add(path, "no candidate belongs to this department")
            _check_share(ck, path, share)

    theme_shares = data.get("theme_min_share", {})
    if ck.mapping("theme_min_share", theme_shares):
        for theme, share in theme_shares.items():
            path = f"theme_min_share.{theme}"
            if theme not in themes:
                ck.add(path, "no candidate carries this theme")
            ck.number(path, share, 0.0, 1.0, amount=True)
    else:
        theme_shares = {}
    both_shares = data.get("theme_share", {})
    if ck.mapping("theme_share", both_shares):
        for theme, share in both_shares.items():
            path = f"theme_share.{theme}"
            if theme not in themes:
                ck.add(path, "no candidate carries this theme")
            if theme in theme_shares:
                ck.add(path, "also given in theme_min_share (give it once)")
            _check_share(ck, path, share)

    tail = data.get("run_cost_past_horizon")
    years = 0
    if tail is not None and ck.mapping("run_cost_past_horizon", tail):
        for key in tail:
            if key not in _TAIL_FIELDS:
                ck.add(f"run_cost_past_horizon.{key}", "unknown field (use years, budget, penalty)")
        if "years" not in tail:
            ck.add("run_cost_past_horizon.years", "required")
        elif ck.integer("run_cost_past_horizon.years", tail["years"], 1, YEARS_MAX):
            years = tail["years"]
        if "budget" in tail:
            ck.number("run_cost_past_horizon.budget", tail["budget"], amount=True)
        penalty = tail.get("penalty", 0)
        if "penalty" not in tail or ck.number("run_cost_past_horizon.penalty", penalty):
            _check_tail(ck, years, penalty, candidates)
    if "discount_rate" in data and ck.number("discount_rate", data["discount_rate"], 0.0, 10.0):
        rate = data["discount_rate"]
        if math.log10(1.0 + rate) * (n_periods + years) > _POWER_MAX:
            ck.add(
                "discount_rate",
                f"(1 + rate) to the power of {n_periods + years} (the periods and the years "
                "past the horizon) is beyond the optimizer's range",
            )

    count = data.get("count")
    if count is not None and ck.mapping("count", count):
        for key in count:
            if key not in ("min", "max"):
                ck.add(f"count.{key}", "unknown field (use min and max)")
        lo, hi = count.get("min", 0), count.get("max")
        ok = ck.integer("count.min", lo)
        if hi is not None:
            ok &= ck.integer("count.max", hi)
            if ok and lo > hi:
                ck.add("count", f"min {lo} is above max {hi}")
    return ck.errors


def _check_tail(ck: _Checker, years: int, penalty: float, candidates: Any) -> None:
    """A candidate's run cost over the years past the horizon, and the value its penalty
    takes, are coefficients of the model: in the range too."""
    if not isinstance(candidates, list | tuple):
        return
    costs = [
        c["run_cost"]
        for c in candidates
        if isinstance(c, Mapping) and _is_number(c.get("run_cost"))
    ]
    most = max(costs, default=0) * years
    if most > AMOUNT_MAX:
        ck.add(
            "run_cost_past_horizon.years",
            f"run cost x years reaches {most:g}, beyond the optimizer's range ({AMOUNT_MAX:g})",
        )
    elif most * penalty > AMOUNT_MAX:
        ck.add(
            "run_cost_past_horizon.penalty",
            f"penalty x run cost x years reaches {most * penalty:g}, beyond the optimizer's "
            f"range ({AMOUNT_MAX:g})",
        )


def _check_share(ck: _Checker, path: str, share: Any) -> None:
    if not ck.mapping(path, share):
        return
    for key in share:
        if key not in ("min", "max"):
            ck.add(f"{path}.{key}", "unknown field (use min and max)")
    lo, hi = share.get("min", 0.0), share.get("max", 1.0)
    ok = ck.number(f"{path}.min", lo, 0.0, 1.0, amount=True)
    ok &= ck.number(f"{path}.max", hi, 0.0, 1.0, amount=True)
    if ok and lo > hi:
        ck.add(path, f"min {_fmt(lo)} is above max {_fmt(hi)}")


def _check_candidate(
    ck: _Checker,
    path: str,
    c: Any,
    periods: set[str],
    pools: set[str],
    n_periods: int,
    ids: set[str],
) -> None:
    if not ck.mapping(path, c):
        return
    for key in c:
        if key not in _CANDIDATE_FIELDS:
            ck.add(f"{path}.{key}", "unknown field")
    cid = c.get("id")
    if not _is_name(cid):
        ck.add(f"{path}.id", "must be a non-empty string")
    elif cid in ids:
        ck.add(f"{path}.id", f"duplicate id {cid!r}")
    else:
        ids.add(cid)
    # `value` may be negative: it is the net of the weighted impacts, and impacts may be
    # negative ("adds lock-in"). The stream `value_by_period` is >= 0 per period.
    if "value" not in c and "value_by_period" not in c:
        ck.add(f"{path}.value", "required (or value_by_period)")
        value_ok = False
    elif "value" not in c:
        value_ok = False
    else:
        value_ok = ck.number(f"{path}.value", c["value"], None, amount=True)
    if "value_by_period" in c:
        stream = ck.per_period(f"{path}.value_by_period", c["value_by_period"], periods)
        if stream is not None and value_ok:
            _check_total(ck, f"{path}.value_by_period", stream + abs(c["value"]))
        elif stream is not None and "value" not in c:
            _check_total(ck, f"{path}.value_by_period", stream)
    for bound in ("value_low", "value_high"):
        if c.get(bound) is not None:
            ok = ck.number(f"{path}.{bound}", c[bound], None, amount=True)
            if ok and "value" not in c:
                ck.add(f"{path}.{bound}", "needs value (the range is around value)")
            elif ok and value_ok:
                if bound == "value_low" and c[bound] > c["value"]:
                    ck.add(f"{path}.value_low", "must be <= value")
                if bound == "value_high" and c[bound] < c["value"]:
                    ck.add(f"{path}.value_high", "must be >= value")
    cost = ck.per_period(f"{path}.cost", c.get("cost", {}), periods)
    if cost is not None:
        _check_total(ck, f"{path}.cost", cost)
    effort = c.get("effort", {})
    if ck.mapping(f"{path}.effort", effort):
        for pool, per in effort.items():
            if pool not in pools:
                ck.add(f"{path}.effort.{pool}", "pool is not listed in capacity")
            else:
                ck.per_period(f"{path}.effort.{pool}", per, periods)
    dept = c.get("department")
    if dept is not None and not _is_name(dept):
        ck.add(f"{path}.department", "must be a non-empty string")
    themes = c.get("themes", [])
    if ck.sequence(f"{path}.themes", themes):
        for j, t in enumerate(themes):
            if not _is_name(t):
                ck.add(f"{path}.themes[{j}]", "must be a non-empty string")
            elif t in themes[:j]:
                ck.add(f"{path}.themes[{j}]", f"duplicate theme {t!r}")
    shift = c.get("may_start_later_by", 0)
    if ck.integer(f"{path}.may_start_later_by", shift) and n_periods and shift >= n_periods:
        ck.add(f"{path}.may_start_later_by", f"must be < number of periods ({n_periods})")
    if "run_cost" in c:
        ck.number(f"{path}.run_cost", c["run_cost"], amount=True)
    if "lifetime" in c:
        ck.integer(f"{path}.lifetime", c["lifetime"], 1)
    if "go_live" in c:
        go_live = c["go_live"]
        if not isinstance(go_live, str):
            ck.add(f"{path}.go_live", "must be a period (string)")
        elif go_live not in periods:
            ck.add(f"{path}.go_live", "period is not listed in periods")
    if "negative_impact" in c:
        ck.number(f"{path}.negative_impact", c["negative_impact"], amount=True)


def _check_total(ck: _Checker, path: str, total: float) -> None:
    """A candidate's amounts over all periods (with its one-off value) are one coefficient of
    the model (share rows, the objective): in the range too."""
    if total > AMOUNT_MAX:
        ck.add(path, f"adds up to {total:g}, beyond the optimizer's range ({AMOUNT_MAX:g})")
