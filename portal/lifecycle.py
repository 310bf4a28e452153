"""Value and cost over the life of an investment: value over time, TCO and NPV, written once.

Every page, export and the scenario -> problem bridge take these formulas from here;
docs/lifecycle.md states them for people.

- Value over time: an estimate's value profile {period: weight >= 0} says how its value
  spreads (ramp up, peak, decay): period p gets G * w_p / sum(w), G the value of its positive
  impacts; what its negative impacts take (L) counts once, undiscounted. Without a profile
  V = G - L counts once, tied to no period. Values are strategic value times the likely
  multiplier (times 1 - risk in a risk-adjusted scenario).
- Go-live: the end of the last period with build cost (the estimate's capex and opex table).
- Run cost: `run_cost_per_year` for `lifetime_years` years from go-live, past any horizon.
- TCO = sum of the build cost + run_cost_per_year * lifetime_years.
- Discounting at r per year: an amount due t years after the start of the first period counts
  a / (1 + r)^t, t in whole months / 12 (each period's amount at the period's start, each run
  cost year at go-live + k years, k = 0 .. lifetime - 1).
- NPV of cost (present cost) = discounted build cost + discounted run cost over the lifetime.
- Discounted value = sum of the discounted values of the profile's periods - L (V without one).

Value is in strategic points and cost in money, so they are reported side by side, never netted.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from portal.periods import Period, sort_key


def factor(rate: float, years: float) -> float:
    """What one unit due `years` from the start counts today at `rate` per year."""
    return 1.0 / (1.0 + rate) ** years


def period_rate(rate: float, periods: list[str]) -> float:
    """The per-period rate the optimizer applies (it discounts by position in `periods`) for
    a yearly `rate`: (1 + r)^(months / 12) - 1 when every period is a calendar period of the
    same length (quarters: about r / 4), else `rate` itself (named periods count as years)."""
    return (1.0 + rate) ** (1.0 / periods_per_year(periods)) - 1.0


def periods_per_year(periods: list[str]) -> float:
    """How many of the planning periods make a year (quarters: 4); named periods count as
    years. Run cost per year becomes run cost per period by dividing by it."""
    spans = {p.months for p in map(Period.read, periods) if p is not None}
    if len(spans) == 1 and all(Period.read(p) is not None for p in periods):
        return 12.0 / spans.pop()
    return 1.0


def value_stream(value: float, profile: Mapping[str, float]) -> dict[str, float]:
    """{period: value} spreading `value` by the profile's weights, in time order; {} without
    a profile (or with weights that sum to nothing)."""
    total = sum(float(w) for w in profile.values())
    if total <= 0:
        return {}
    return {p: value * float(profile[p]) / total for p in sorted(profile, key=sort_key)}


def _years(origin: Period, label: str) -> float:
    period = Period.read(label)
    if period is None:
        return 0.0
    months = (period.start.year - origin.start.year) * 12 + period.start.month - origin.start.month
    return months / 12.0


@dataclass(frozen=True)
class Lifecycle:
    """An estimate's money and value over its life (see the module docstring)."""

    build_cost: float
    run_cost_per_year: float
    lifetime_years: int
    go_live: str | None  # the label of the first month after the build, e.g. 2029-01
    tco: float
    present_cost: float
    value: float
    discounted_value: float
    value_by_period: dict[str, float]
    rate: float

    @property
    def run_cost_total(self) -> float:
        return self.run_cost_per_year * self.lifetime_years


def lifecycle(
    costs: Mapping[str, float],
    gain: float,
    loss: float,
    profile: Mapping[str, float],
    run_cost_per_year: float,
    lifetime_years: int,
    rate: float,
) -> Lifecycle:
    """TCO, NPV of cost and discounted value of an estimate.

    `costs` is {period: capex + opex} of the build; `gain` and `loss` the value of the idea's
    positive and negative impacts (the value is gain - loss).
    """
    value = gain - loss
    stream = value_stream(gain, profile)
    labels = [p for p in list(costs) + list(stream) if Period.read(p) is not None]
    origin = min(map(Period.read, labels)) if labels else None
    build = sum(float(v) for v in costs.values())
    present = build
    discounted = value
    go_live = None
    run_present = run_cost_per_year * lifetime_years
    if origin is not None:
        present = sum(float(v) * factor(rate, _years(origin, p)) for p, v in costs.items())
        if stream:
            discounted = sum(v * factor(rate, _years(origin, p)) for p, v in stream.items()) - loss
        built = [Period.read(p) for p in costs if Period.read(p) is not None]
        if built:
            end = max(p.end for p in built)
            go_live = f"{end.year}-{end.month:02d}"
            start = (end.year - origin.start.year) + (end.month - origin.start.month) / 12.0
            run_present = sum(
                run_cost_per_year * factor(rate, start + k) for k in range(lifetime_years)
            )
    return Lifecycle(
        build_cost=build,
        run_cost_per_year=run_cost_per_year,
        lifetime_years=lifetime_years,
        go_live=go_live,
        tco=build + run_cost_per_year * lifetime_years,
        present_cost=present + run_present,
        value=value,
        discounted_value=discounted,
        value_by_period=stream,
        rate=rate,
    )


def discounted_by_position(values: Mapping[str, float], periods: list[str], rate: float) -> dict:
    """{period: value / (1 + rate)^j} for the value accruing at 0-based position j of
    `periods`: the optimizer's discounting, `rate` per period (see `period_rate`)."""
    return {p: float(values.get(p, 0.0)) * factor(rate, j) for j, p in enumerate(periods)}


def tail_after_horizon(
    last_cost_position: int,
    delay: int,
    periods: list[str],
    run_cost_per_year: float,
    lifetime_years: int,
) -> tuple[float, float]:
    """(years of run cost inside the horizon, years left past it) for an idea whose build's
    last cost is at position `last_cost_position` and which starts `delay` periods late.

    Go-live is the end of the period at last_cost_position + delay; each period counts its
    length in years (a named period counts one year).
    """
    lengths = [(Period.read(p).months / 12.0) if Period.read(p) else 1.0 for p in periods]
    inside = sum(lengths[last_cost_position + delay + 1 :])
    inside = min(inside, float(lifetime_years)) if run_cost_per_year else 0.0
    left = max(float(lifetime_years) - inside, 0.0) if run_cost_per_year else 0.0
    return inside, left


def after_horizon_label(periods: list[str]) -> str | None:
    """The first period after the horizon as people say it ('2030'), or None for names."""
    last = Period.read(periods[-1]) if periods else None
    if last is None:
        return None
    end = last.end
    return str(end.year) if end.month == 1 else f"{end.year}-{end.month:02d}"


def planned_cost(
    cost: Mapping[str, float],
    periods: list[str],
    delay: int,
    run_cost: float,
    lifetime: int | None,
    rate: float,
) -> tuple[float, float]:
    """(TCO, NPV of cost) of a candidate as a run plans it, in the problem's own units:
    `cost` {period: amount} shifted by `delay`, `run_cost` per period for `lifetime` periods
    from go-live (the period after its last cost), `rate` per period, position 0 undiscounted.
    The same formulas as `lifecycle`, counted in periods instead of years."""
    index = {p: j for j, p in enumerate(periods)}
    placed = [(float(v), index[p] + delay) for p, v in cost.items() if p in index and v]
    build = sum(v for v, _ in placed)
    present = sum(v * factor(rate, j) for v, j in placed)
    go_live = max((j for _, j in placed), default=delay - 1) + 1
    life = int(lifetime or 0)
    run_total = run_cost * life
    present += sum(run_cost * factor(rate, go_live + k) for k in range(life))
    return build + run_total, present
