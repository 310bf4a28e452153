"""The formulas of value and cost over time (portal.lifecycle) and the estimate time rules."""

import pytest

from portal import lifecycle
from portal.review import rules


def test_tco_is_build_plus_run_cost_over_the_lifetime():
    life = lifecycle.lifecycle({"2027": 100_000, "2028": 50_000}, 40.0, 0.0, {}, 20_000, 5, 0.0)
    assert life.tco == 150_000 + 5 * 20_000
    assert life.present_cost == life.tco  # no discounting at 0 %
    assert life.go_live == "2029-01"
    assert life.discounted_value == 40.0 and life.value_by_period == {}


def test_npv_of_cost_discounts_each_year_from_the_first_period():
    life = lifecycle.lifecycle({"2027": 100.0, "2028": 100.0}, 0.0, 0.0, {}, 10.0, 2, 0.1)
    # build at t = 0 and 1; run cost at go-live (t = 2) and t = 3
    expected = 100 + 100 / 1.1 + 10 / 1.1**2 + 10 / 1.1**3
    assert life.present_cost == pytest.approx(expected)


def test_value_spreads_by_the_profile_and_negative_impacts_count_once():
    life = lifecycle.lifecycle(
        {"2027": 1.0}, 60.0, 6.0, {"2027": 1, "2028": 3, "2029": 2}, 0.0, 0, 0.1
    )
    assert life.value_by_period == {"2027": 10.0, "2028": 30.0, "2029": 20.0}
    assert life.value == 54.0
    assert life.discounted_value == pytest.approx(10 + 30 / 1.1 + 20 / 1.1**2 - 6)


def test_quarters_discount_by_months():
    life = lifecycle.lifecycle({"2027-Q1": 100.0, "2027-Q3": 100.0}, 0, 0, {}, 0, 0, 0.21)
    assert life.present_cost == pytest.approx(100 + 100 / 1.21**0.5)
    assert lifecycle.period_rate(0.21, ["2027-Q1", "2027-Q2"]) == pytest.approx(1.21**0.25 - 1)
    assert lifecycle.period_rate(0.08, ["2027", "2028"]) == pytest.approx(0.08)
    assert lifecycle.period_rate(0.08, ["Phase-1", "Phase-2"]) == pytest.approx(0.08)
    assert lifecycle.periods_per_year(["2027-Q1", "2027-Q2"]) == 4


def test_planned_cost_counts_in_periods_from_the_chosen_start():
    tco, npv = lifecycle.planned_cost({"2027": 100.0}, ["2027", "2028", "2029"], 1, 10.0, 3, 0.1)
    assert tco == 130.0
    assert npv == pytest.approx(100 / 1.1 + 10 / 1.1**2 + 10 / 1.1**3 + 10 / 1.1**4)


def test_run_cost_after_the_horizon_starts_the_year_after_the_last_period():
    assert lifecycle.after_horizon_label(["2027", "2028", "2029"]) == "2030"
    assert lifecycle.after_horizon_label(["2027-Q1", "2027-Q2"]) == "2027-07"
    assert lifecycle.after_horizon_label(["Phase-1"]) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027 1", "period: weight"),
        ("2027: x", "period: weight"),
        ("2027: 1, 2027: 2", "twice"),
        ("FY27: 1", "not a period"),
        ("2027: -1", "between 0"),
        ("2027: 0", "above 0"),
        ("2027: nan", "period: weight"),
    ],
)
def test_a_bad_value_profile_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        rules.parse_profile(text)


def test_value_profile_reads_back_what_it_writes():
    profile = rules.parse_profile("2028: 3; 2027: 1\n2029: 2.5")
    assert profile == {"2028": 3.0, "2027": 1.0, "2029": 2.5}
    assert rules.format_profile(profile) == "2027: 1, 2028: 3, 2029: 2.5"
    assert rules.parse_profile(rules.format_profile(profile)) == profile


def test_time_rules():
    assert rules.impact_problem(-4) is None and rules.impact_problem(5)
    assert rules.run_cost_problem(1000.0, 0)  # a run cost needs a lifetime
    assert rules.run_cost_problem(-1.0, 3) and rules.run_cost_problem(10.0, 51)
    assert rules.run_cost_problem(1000.0, 5) is None
    assert rules.discount_rate_problem(1.5) and rules.discount_rate_problem(0.08) is None
    assert rules.tail_years_problem(-1) and rules.tail_years_problem(5) is None
    assert rules.impact_label(-3) == "Hinders: strong"
