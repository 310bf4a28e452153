"""What an estimate's time fields may say: impacts (negative ones too), value over time, run
cost after go-live and lifetime; and a scenario's discount rate and run-cost tail. The
estimate form, the API schemas, the CSV import, the scenario form and the services all ask
here, so each rule is written once."""

from collections.abc import Mapping

from portal.periods import HELP, Period, sort_key

IMPACT_MIN, IMPACT_MAX = -4, 4
IMPACT_WORDS = {0: "None", 1: "Low", 2: "Moderate", 3: "Strong", 4: "Extreme"}
MAX_LIFETIME_YEARS = 50
MAX_PROFILE_PERIODS = 40
MAX_PROFILE_WEIGHT = 1000.0
MAX_RUN_COST = 1e12
MAX_DISCOUNT_RATE = 1.0  # 100 % a year
MAX_TAIL_YEARS = 50
MAX_OBJECTIVE_WEIGHT = 1_000_000.0  # only ratios matter; sums of larger ones overflow
WEIGHT_RULE = "A weight is a number from 0 to 1,000,000 (only the ratios between weights matter)."


def impact_label(impact: int) -> str:
    """'Strong' for 3, 'Hinders: strong' for -3."""
    word = IMPACT_WORDS[abs(impact)]
    return f"Hinders: {word.lower()}" if impact < 0 else word


IMPACT_CHOICES = [(v, f"{v:+d} · {impact_label(v)}" if v else "0 · None") for v in range(-4, 5)]


def weight_problem(weight) -> str | None:
    """An objective's weight: 0 to MAX_OBJECTIVE_WEIGHT. (A weight of 1e308 was taken, and
    every strategic value became NaN and every portfolio run invalid.)"""
    if weight is None or not 0 <= weight <= MAX_OBJECTIVE_WEIGHT:  # NaN fails both
        return WEIGHT_RULE
    return None


def impact_problem(impact) -> str | None:
    if not isinstance(impact, int) or not IMPACT_MIN <= impact <= IMPACT_MAX:
        return "Impacts are on the -4 (hinders: extreme) to 4 (extreme) scale."
    return None


def empty_estimate_problem(
    impacts: Mapping[int, int], costs: Mapping[str, tuple[float, float]]
) -> str | None:
    """An estimate must say something: an impact (either way) on at least one objective or a
    cost in at least one period. Without either it would be value 0 at cost 0, and once
    marked estimated the idea would enter portfolio runs as free."""
    if any(impacts.values()) or any(capex or opex for capex, opex in costs.values()):
        return None
    return (
        "An estimate needs an impact on at least one objective or a cost (capex or opex) in "
        "at least one period. Nothing was saved: fill in what you know and save again."
    )


def run_cost_problem(run_cost_per_year: float, lifetime_years: int) -> str | None:
    if not 0 <= run_cost_per_year <= MAX_RUN_COST:
        return f"Run cost per year is between 0 and {MAX_RUN_COST:,.0f}."
    if not isinstance(lifetime_years, int) or not 0 <= lifetime_years <= MAX_LIFETIME_YEARS:
        return f"Lifetime is a whole number of years between 0 and {MAX_LIFETIME_YEARS}."
    if run_cost_per_year and not lifetime_years:
        return "Give the lifetime in years over which the run cost continues."
    return None


def profile_problem(profile: Mapping[str, float]) -> str | None:
    """What is wrong with a value profile {period: weight}, or None."""
    if len(profile) > MAX_PROFILE_PERIODS:
        return f"Value over time has at most {MAX_PROFILE_PERIODS} periods."
    for period, weight in profile.items():
        if not Period.is_valid(period):
            return f"Value over time: '{period}' is not a period: use {HELP}."
        if not isinstance(weight, int | float) or not 0 <= weight <= MAX_PROFILE_WEIGHT:
            return (
                f"Value over time: the weight of {period} is between 0 and {MAX_PROFILE_WEIGHT:g}."
            )
    if profile and not sum(profile.values()) > 0:
        return "Value over time needs a weight above 0 in at least one period."
    return None


def parse_profile(text: str) -> dict[str, float]:
    """'2027: 1, 2028: 3' (commas, semicolons or new lines) -> {'2027': 1.0, '2028': 3.0}.

    Raises ValueError with the sentence to show."""
    profile: dict[str, float] = {}
    for part in (text or "").replace(";", ",").replace("\n", ",").split(","):
        if not part.strip():
            continue
        period, sep, weight = part.partition(":")
        period = period.strip()
        try:
            number = float(weight)
        except ValueError:
            number = None
        if not sep or number is None or number != number:
            raise ValueError(
                "Write value over time as period: weight, e.g. 2027: 1, 2028: 3 "
                f"(not '{part.strip()}')."
            )
        if period in profile:
            raise ValueError(f"Value over time names {period} twice.")
        profile[period] = number
    problem = profile_problem(profile)
    if problem:
        raise ValueError(problem)
    return profile


def format_profile(profile: Mapping[str, float]) -> str:
    """{'2027': 1.0, '2028': 3.0} -> '2027: 1, 2028: 3' (what `parse_profile` reads)."""
    return ", ".join(f"{p}: {float(profile[p]):g}" for p in sorted(profile, key=sort_key))


def discount_rate_problem(rate: float) -> str | None:
    if not 0 <= rate <= MAX_DISCOUNT_RATE:
        return f"The discount rate is between 0 and {MAX_DISCOUNT_RATE:.0%} a year."
    return None


def tail_years_problem(years: int) -> str | None:
    if not isinstance(years, int) or not 0 <= years <= MAX_TAIL_YEARS:
        return f"Years of run cost past the horizon: a whole number from 0 to {MAX_TAIL_YEARS}."
    return None
