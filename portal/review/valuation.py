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

from portal.extensions import db
from portal.models import Estimate, StrategicObjective

MAX_IMPACT = 4
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
