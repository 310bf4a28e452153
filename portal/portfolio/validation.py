"""The rules a scenario's settings obey, whoever sends them (the scenario form or the API).

`settings_errors(settings)` checks the dict `ScenarioForm.settings()` produces, the shape
stored on `Scenario`: periods in order, budgets per period, capacities per pool id and
period, a candidate filter, shares per department id and objective id, count limits, force
lists and start-later shifts by idea id. It returns every problem by setting name, so
`service.save_scenario` refuses bad settings from any caller with the same messages. The
form checks the same rules on its typed text first (with line numbers); this is the rule
book the service enforces.
"""

import math

import sqlalchemy as sa

from portal import workflow
from portal.campaigns.rules import envelope_problem
from portal.extensions import db
from portal.forms import MAX_ID, whole_number
from portal.models import (
    MAX_AMOUNT,
    Campaign,
    Department,
    ResourcePool,
    ScenarioObjective,
    StrategicObjective,
)
from portal.periods import is_period_name
from portal.portfolio.forms import MAX_PERIODS
from portal.portfolio.problem import BACKENDS
from portal.review import rules

NAME_LIMIT = 120
TEXT_LIMIT = 5000
TIME_LIMIT = (1, 3600)


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ids(keys) -> list[int] | None:
    """'12' -> 12 for every key; None when one is not a positive whole number."""
    out = []
    for key in keys:
        number = whole_number(key)
        if number is None:
            return None
        out.append(number)
    return out


def _existing(model, ids, *where) -> set[int]:
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(model.id).where(model.id.in_(ids), *where)))


def _period_errors(periods) -> list[str]:
    if not isinstance(periods, list) or not periods:
        return ["List at least one planning period, e.g. 2027, 2028, 2029."]
    if len(periods) > MAX_PERIODS:
        return [f"At most {MAX_PERIODS} periods."]
    bad = [p for p in periods if not is_period_name(p)]
    if bad:
        return [f"'{bad[0]}' is not a period name (letters, digits, . _ / -)."]
    duplicates = sorted({p for p in periods if periods.count(p) > 1})
    if duplicates:
        return [f"Period {', '.join(duplicates)} is listed twice."]
    return []


def settings_errors(settings: dict) -> dict[str, list[str]]:
    """Every rule `settings` breaks, as {setting name: [messages]} ({} when valid)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    name = (settings.get("name") or "").strip()
    if not name:
        add("name", "Give the scenario a name.")
    elif len(name) > NAME_LIMIT:
        add("name", f"At most {NAME_LIMIT} characters.")
    if len(settings.get("description") or "") > TEXT_LIMIT:
        add("description", f"At most {TEXT_LIMIT} characters.")

    periods = settings.get("periods")
    for message in _period_errors(periods):
        add("periods", message)
    known = set(periods) if "periods" not in errors else set()
    limit = max(len(known) - 1, 0)

    for period, amount in (settings.get("budget") or {}).items():
        if known and period not in known:
            add("budget", f"'{period}' is not one of the planning periods.")
        elif not _number(amount) or not 0 <= amount <= MAX_AMOUNT:
            add("budget", f"The budget for {period} must be an amount from 0 to {MAX_AMOUNT:,.0f}.")

    capacity = settings.get("capacity") or {}
    pool_ids = _ids(capacity)
    if pool_ids is None:
        add("capacity", "Name each resource pool by its id.")
    else:
        missing = sorted(set(pool_ids) - _existing(ResourcePool, pool_ids))
        if missing:
            add("capacity", f"No resource pool {', '.join(map(str, missing))}.")
        for pool, per in capacity.items():
            for period, amount in (per or {}).items():
                if known and period not in known:
                    add("capacity", f"'{period}' is not one of the planning periods.")
                elif not _number(amount) or not 0 <= amount <= MAX_AMOUNT:
                    add(
                        "capacity",
                        f"Capacity of pool {pool} in {period} must be 0 to {MAX_AMOUNT:,.0f}.",
                    )

    filters = settings.get("candidate_filter") or {}
    states = filters.get("states") or []
    allowed = {s.value for s in workflow.SCENARIO_CANDIDATES}
    if not states:
        add("candidate_filter", "Tick at least one idea state.")
    elif unknown := sorted(set(states) - allowed):
        add(
            "candidate_filter",
            f"Ideas that are {', '.join(unknown)} cannot be candidates "
            f"(choose from {', '.join(sorted(allowed))}).",
        )
    wanted = filters.get("department_ids") or []
    if missing := sorted(set(wanted) - _existing(Department, wanted)):
        add("candidate_filter", f"No department {', '.join(map(str, missing))}.")
    wanted = filters.get("objective_ids") or []
    active = _existing(StrategicObjective, wanted, StrategicObjective.active)
    if missing := sorted(set(wanted) - active):
        add("candidate_filter", f"No active strategic objective {', '.join(map(str, missing))}.")

    campaign_id = filters.get("campaign_id")
    if campaign_id is not None:
        valid = isinstance(campaign_id, int) and 1 <= campaign_id <= MAX_ID
        campaign = db.session.get(Campaign, campaign_id) if valid else None
        if campaign is None:
            add("campaign", f"No campaign {campaign_id}.")
        elif "periods" not in errors:
            budget = settings.get("budget") or {}
            if problem := envelope_problem(campaign.budget_envelope, budget, periods):
                add("budget", problem)

    shares = settings.get("department_shares") or {}
    dept_ids = _ids(shares)
    if dept_ids is None:
        add("department_shares", "Name each department by its id.")
    else:
        if missing := sorted(set(dept_ids) - _existing(Department, dept_ids)):
            add("department_shares", f"No department {', '.join(map(str, missing))}.")
        lows = 0.0
        for share in shares.values():
            low, high = share.get("min", 0.0), share.get("max", 1.0)
            if not (_number(low) and _number(high) and 0 <= low <= 1 and 0 <= high <= 1):
                add("department_shares", "Shares are fractions between 0 and 1.")
                break
            if low > high:
                add("department_shares", "A minimum share is above its maximum.")
            lows += low
        else:
            if lows > 1 + 1e-9:
                add(
                    "department_shares",
                    f"The department minimums add up to {lows:.0%}, more than 100 %.",
                )

    themes = settings.get("theme_min_shares") or {}
    objective_ids = _ids(themes)
    if objective_ids is None:
        add("theme_min_shares", "Name each objective by its id.")
    else:
        active = _existing(StrategicObjective, objective_ids, StrategicObjective.active)
        if missing := sorted(set(objective_ids) - active):
            add(
                "theme_min_shares",
                f"No active strategic objective {', '.join(map(str, missing))}.",
            )
        if any(not _number(v) or not 0 <= v <= 1 for v in themes.values()):
            add("theme_min_shares", "Theme shares are fractions between 0 and 1.")
    highs = settings.get("theme_max_shares") or {}
    high_ids = _ids(highs)
    if high_ids is None:
        add("theme_max_shares", "Name each objective by its id.")
    elif any(not _number(v) or not 0 <= v <= 1 for v in highs.values()):
        add("theme_max_shares", "Theme shares are fractions between 0 and 1.")
    elif (
        objective_ids is not None
        and all(_number(v) for v in themes.values())
        and any(themes.get(k, 0) > v for k, v in highs.items())
    ):
        add("theme_max_shares", "A theme's minimum share is above its maximum.")

    rate = settings.get("discount_rate", 0.0)
    if not _number(rate):
        add("discount_rate", "The discount rate is a number.")
    elif problem := rules.discount_rate_problem(rate):
        add("discount_rate", problem)
    tail = settings.get("tail_years", 0)
    if isinstance(tail, bool) or (problem := rules.tail_years_problem(tail)):
        add("tail_years", problem or "A whole number of years.")
    tail_budget = settings.get("tail_budget")
    if tail_budget is not None and (not _number(tail_budget) or tail_budget < 0):
        add("tail_budget", "The run-cost budget past the horizon is an amount of 0 or more.")

    low, high = settings.get("count_min"), settings.get("count_max")
    for key, value in (("count_min", low), ("count_max", high)):
        if value is not None and (not isinstance(value, int) or value < 0):
            add(key, "A whole number of 0 or more.")
    counts_ok = "count_min" not in errors and "count_max" not in errors
    if counts_ok and low is not None and high is not None and low > high:
        add("count_max", "'At least' is above 'at most'.")

    both = set(settings.get("force_in") or []) & set(settings.get("force_out") or [])
    if both:
        refs = ", ".join(f"IDEA-{i}" for i in sorted(both))
        add("force_out", f"{refs} cannot be forced both in and out.")

    for key, shift in (settings.get("start_later") or {}).items():
        who = "Every idea" if key == "*" else f"IDEA-{key}"
        if key != "*" and _ids([key]) is None:
            add("start_later", f"'{key}' is not an idea id.")
        elif not isinstance(shift, int) or shift < 0:
            add("start_later", f"{who}: the shift is a whole number of periods.")
        elif shift > limit:
            add(
                "start_later",
                f"{who} cannot start {shift} periods later with {limit + 1} planning period(s).",
            )

    objective = settings.get("objective")
    if objective not in set(ScenarioObjective):
        add("objective", f"Maximize one of: {', '.join(o.value for o in ScenarioObjective)}.")
    if settings.get("backend") not in BACKENDS:
        add("backend", f"Choose a solver: {', '.join(BACKENDS)}.")
    seconds = settings.get("time_limit")
    if not isinstance(seconds, int) or not TIME_LIMIT[0] <= seconds <= TIME_LIMIT[1]:
        add("time_limit", f"Between {TIME_LIMIT[0]} and {TIME_LIMIT[1]} seconds.")
    return errors
