"""How an estimate's impacts turn into one strategic value on a 0..100 scale.

    value = 100 * sum(w_o * impact_o) / (4 * sum(w_o))

over the *active* objectives o, with impact on the None(0)..Extreme(4) scale. An idea
with Extreme impact on every objective scores 100, one with no impact 0, whatever the
number of objectives or the scale of the weights: values stay comparable across runs
and weight changes. Weights are read when the value is needed, never stored in the
estimate, so changing them never rewrites an estimate. The estimate's value_low /
value_likely / value_high are multipliers of this value (`value_range`).
"""

from collections.abc import Callable, Mapping

import sqlalchemy as sa

from portal import lifecycle
from portal.charts import compact_number as amount
from portal.extensions import db
from portal.models import Estimate, Run, Scenario, StrategicObjective
from portal.review import rules

MAX_IMPACT = 4
POINT_DECIMALS = 4  # a value in points is kept to this many decimals, everywhere


def in_points(value: float) -> float:
    """A value in points as the portal keeps it (what the optimizer gets, what reports add
    up): rounded once here, so a page that shows one decimal shows the same one everywhere."""
    return round(value, POINT_DECIMALS)


# Where value goes when an idea has no impact on any active objective (the split still sums).
NO_OBJECTIVE = "(no objective impact)"


def active_weights() -> dict[int, float]:
    """objective id -> weight over the active strategic objectives."""
    rows = db.session.execute(
        sa.select(StrategicObjective.id, StrategicObjective.weight).where(StrategicObjective.active)
    )
    return {oid: float(weight) for oid, weight in rows}


def _impacts(estimate_or_impacts) -> Mapping[int, int]:
    if isinstance(estimate_or_impacts, Mapping):
        return estimate_or_impacts
    return {i.objective_id: i.impact for i in estimate_or_impacts.impacts}


def strategic_value(
    estimate: "Estimate | Mapping[int, int]", weights: Mapping[int, float] | None = None
) -> float:
    """The 0..100 strategic value of `estimate` (or an objective id -> impact mapping).

    `weights` (objective id -> weight) defaults to the active objectives' weights;
    impacts on objectives outside `weights` are ignored and a missing impact counts as
    none. 0.0 when no weight is positive.
    """
    if weights is None:
        weights = active_weights()
    total = sum(float(w) for w in weights.values())
    if total <= 0:
        return 0.0
    impacts = _impacts(estimate)
    score = sum(float(w) * impacts.get(oid, 0) for oid, w in weights.items())
    return 100.0 * score / (MAX_IMPACT * total)


def scorer(weights: Mapping[int, float]) -> Callable[[Mapping[int, int]], float]:
    """`strategic_value` with `weights` fixed, for scoring many impact mappings at once."""
    pairs = [(oid, float(w)) for oid, w in weights.items()]
    scale = MAX_IMPACT * sum(w for _, w in pairs)
    if scale <= 0:
        return lambda impacts: 0.0

    def score(impacts: Mapping[int, int]) -> float:
        return 100.0 * sum(w * impacts.get(oid, 0) for oid, w in pairs) / scale

    return score


def value_parts(
    impacts: Mapping[int, int], score: Callable[[Mapping[int, int]], float]
) -> tuple[float, float]:
    """(gain, loss): the strategic value of the positive impacts alone and of the negative
    ones alone (>= 0), with `score` from `scorer`; the value is gain - loss."""
    gain = score({o: i for o, i in impacts.items() if i > 0})
    loss = score({o: -i for o, i in impacts.items() if i < 0})
    return gain, loss


def value_range(
    estimate: Estimate, weights: Mapping[int, float] | None = None
) -> tuple[float, float, float]:
    """(low, likely, high) values: the strategic value times the estimate's multipliers."""
    value = strategic_value(estimate, weights)
    return (
        value * estimate.value_low,
        value * estimate.value_likely,
        value * estimate.value_high,
    )


def objective_shares(
    estimate: "Estimate | Mapping[int, int]", weights: Mapping[int, float]
) -> dict[int, float]:
    """Each active objective's share of the estimate's (or impact mapping's) weighted impact:
    w_o x impact_o / sum of w x impact. Sums to 1, or empty when there is no weighted impact.

    Splitting an idea's value and cost by these shares makes per-objective figures add up to
    the total (the value *is* the sum of these weighted impacts, scaled)."""
    parts = {
        oid: float(weights[oid]) * impact
        for oid, impact in _impacts(estimate).items()
        if oid in weights and float(weights[oid]) * impact > 0
    }
    total = sum(parts.values())
    return {oid: part / total for oid, part in parts.items()} if total else {}


def reference_rate() -> tuple[float, str | None]:
    """The discount rate an idea's page uses, and the scenario it is from: the adopted plan's
    scenario, else the most recently changed scenario; (0.0, None) when there is none."""
    adopted = (
        sa.select(Scenario.discount_rate, Scenario.name)
        .join(Run, Run.scenario_id == Scenario.id)
        .where(Run.adopted_at.is_not(None))
        .order_by(Run.adopted_at.desc())
        .limit(1)
    )
    row = (
        db.session.execute(adopted).first()
        or db.session.execute(
            sa.select(Scenario.discount_rate, Scenario.name)
            .order_by(Scenario.updated_at.desc(), Scenario.id.desc())
            .limit(1)
        ).first()
    )
    return (float(row[0] or 0.0), row[1]) if row else (0.0, None)


def estimate_lifecycle(
    estimate: Estimate, weights: Mapping[int, float] | None = None, rate: float | None = None
) -> lifecycle.Lifecycle:
    """TCO, NPV of cost and value over time of an estimate (`portal.lifecycle`), at `rate`
    (default: `reference_rate`); the value is the strategic value times the likely multiplier:
    its positive impacts spread over the profile, its negative ones taken off once."""
    if rate is None:
        rate = reference_rate()[0]
    if weights is None:
        weights = active_weights()
    gain, loss = value_parts(_impacts(estimate), scorer(weights))
    return lifecycle.lifecycle(
        {c.period: c.capex + c.opex for c in estimate.costs},
        gain * estimate.value_likely,
        loss * estimate.value_likely,
        estimate.value_profile or {},
        estimate.run_cost_per_year or 0.0,
        estimate.lifetime_years or 0,
        rate,
    )


def hinders_later(estimate: Estimate, names: Mapping[int, str] | None = None) -> list[str]:
    """What the estimate says the idea costs later: its negative impacts and its run cost
    after go-live, in sentences; [] when nothing hinders."""
    if names is None:
        names = {i.objective_id: i.objective.name for i in estimate.impacts}
    out = [
        f"{rules.impact_label(i.impact)} on {names.get(i.objective_id, 'an objective')}"
        for i in sorted(estimate.impacts, key=lambda i: i.impact)
        if i.impact < 0
    ]
    if estimate.run_cost_per_year and estimate.lifetime_years:
        out.append(
            f"run cost of {amount(estimate.run_cost_per_year)} a year for "
            f"{estimate.lifetime_years} years after go-live"
        )
    return out
