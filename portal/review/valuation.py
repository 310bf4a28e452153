"""Strategic value of an idea from its impact on the weighted objectives."""

from collections.abc import Mapping


def strategic_value(impacts: Mapping[int, int], weights: Mapping[int, float]) -> float:
    """Value on a 0..100 scale: 100 * sum(w_o * impact_o) / (4 * sum(w_o)).

    Both mappings are keyed by objective id; `weights` holds the active objectives only, so
    an impact on an inactive objective counts for nothing. 0 when no weight is positive.
    """
    total_weight = sum(w for w in weights.values() if w > 0)
    if total_weight <= 0:
        return 0.0
    score = sum(w * impacts.get(o, 0) for o, w in weights.items() if w > 0)
    return 100.0 * score / (4.0 * total_weight)
