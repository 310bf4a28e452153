"""How an estimate's impacts turn into one strategic value on a 0..100 scale."""

from collections.abc import Mapping

MAX_IMPACT = 4


def strategic_value(impacts: Mapping[int, int], weights: Mapping[int, float]) -> float:
    """100 * sum(w_o * impact_o) / (4 * sum(w_o)) over the objectives in `weights`.

    `weights` holds the active objectives (id -> weight); impacts on other objectives
    are ignored and a missing impact counts as none. 0 when no weight is positive.
    """
    total_weight = sum(float(w) for w in weights.values())
    if total_weight <= 0:
        return 0.0
    score = sum(float(w) * impacts.get(oid, 0) for oid, w in weights.items())
    return 100.0 * score / (MAX_IMPACT * total_weight)
