"""Every invalid input comes back as status `invalid` with the bad field named by its path."""

from __future__ import annotations

import copy
import json

import pytest

import optimizer
from tests.optimizer.conftest import cand, make_problem


def base() -> dict:
    return make_problem(
        [
            cand("A", 5, {"2027": 10}, department="IT", themes=["customer"]),
            cand("B", 3, {"2028": 4}, department="Finance"),
            cand("C", 2, {"2027": 1}, effort={"eng": {"2027": 2}}),
            cand("D", 1, {"2027": 1}),
        ],
        budget={"2027": 20},
        capacity={"eng": {"2027": 4}},
    )


def mutate(path_fn):
    doc = copy.deepcopy(base())
    path_fn(doc)
    return doc


INVALID = [
    ("unknown requires id", lambda d: d.update(requires=[["A", "Z"]]), "requires[0][1]"),
    ("unknown exclusive id", lambda d: d.update(exclusive=[["A", "Z"]]), "exclusive[0][1]"),
    ("unknown together id", lambda d: d.update(together=[["Q", "A"]]), "together[0][0]"),
    ("unknown force_in id", lambda d: d.update(force_in=["Z"]), "force_in[0]"),
    ("unknown force_out id", lambda d: d.update(force_out=["Z"]), "force_out[0]"),
    ("duplicate id", lambda d: d["candidates"][3].update(id="A"), "candidates[3].id"),
    (
        "infinite value",
        lambda d: d["candidates"][1].update(value=float("inf")),
        "candidates[1].value",
    ),
    ("text value", lambda d: d["candidates"][1].update(value="high"), "candidates[1].value"),
    ("bool value", lambda d: d["candidates"][1].update(value=True), "candidates[1].value"),
    (
        "negative cost",
        lambda d: d["candidates"][3]["cost"].update({"2027": -5}),
        "candidates[3].cost.2027: must be >= 0",
    ),
    (
        "text cost",
        lambda d: d["candidates"][3]["cost"].update({"2027": "5"}),
        "candidates[3].cost.2027: must be a number",
    ),
    (
        "cost in unlisted period",
        lambda d: d["candidates"][0]["cost"].update({"2031": 1}),
        "candidates[0].cost.2031: period is not listed",
    ),
    ("budget in unlisted period", lambda d: d["budget"].update({"2030": 5}), "budget.2030"),
    ("negative budget", lambda d: d["budget"].update({"2027": -1}), "budget.2027: must be >= 0"),
    ("capacity unlisted period", lambda d: d["capacity"]["eng"].update({"x": 1}), "capacity.eng.x"),
    (
        "effort in undeclared pool",
        lambda d: d["candidates"][0].update(effort={"ops": {"2027": 1}}),
        "candidates[0].effort.ops",
    ),
    (
        "share above 1",
        lambda d: d.update(department_share={"IT": {"max": 1.5}}),
        "department_share.IT.max: must be <= 1",
    ),
    (
        "share below 0",
        lambda d: d.update(department_share={"IT": {"min": -0.1}}),
        "department_share.IT.min: must be >= 0",
    ),
    (
        "min above max",
        lambda d: d.update(department_share={"IT": {"min": 0.6, "max": 0.4}}),
        "department_share.IT: min 0.6 is above max 0.4",
    ),
    (
        "unknown department",
        lambda d: d.update(department_share={"Legal": {"min": 0.1}}),
        "department_share.Legal",
    ),
    (
        "theme share outside 0..1",
        lambda d: d.update(theme_min_share={"customer": 2}),
        "theme_min_share.customer",
    ),
    ("count min above max", lambda d: d.update(count={"min": 3, "max": 2}), "count: min 3"),
    ("negative count", lambda d: d.update(count={"max": -1}), "count.max: must be >= 0"),
    (
        "forced in and out",
        lambda d: d.update(force_in=["A"], force_out=["A"]),
        "force_out[0]: A is also in force_in",
    ),
    ("self requirement", lambda d: d.update(requires=[["A", "A"]]), "requires[0]"),
    ("one-member group", lambda d: d.update(exclusive=[["A"]]), "exclusive[0]"),
    ("wrong schema", lambda d: d.update(schema="converge.problem/2"), "schema"),
    ("unknown field", lambda d: d.update(forceIn=["A"]), "forceIn: unknown field"),
    ("duplicate period", lambda d: d.update(periods=["2027", "2027"]), "periods[1]"),
    (
        "value range inverted",
        lambda d: d["candidates"][0].update(value_low=9),
        "candidates[0].value_low: must be <= value",
    ),
    (
        "shift too long",
        lambda d: d["candidates"][0].update(may_start_later_by=3),
        "candidates[0].may_start_later_by",
    ),
    (
        "shift not an integer",
        lambda d: d["candidates"][0].update(may_start_later_by=1.5),
        "candidates[0].may_start_later_by: must be an integer",
    ),
    (
        "candidates not a list",
        lambda d: d.update(candidates={"A": 1}),
        "candidates: must be a list",
    ),
    ("missing periods", lambda d: d.pop("periods"), "periods: required"),
    # issue 13: value over time, discounting, theme shares, run cost past the horizon
    (
        "value and value_by_period both absent",
        lambda d: d["candidates"][0].pop("value"),
        "candidates[0].value: required (or value_by_period)",
    ),
    (
        "negative value_by_period",
        lambda d: d["candidates"][0].update(value_by_period={"2027": -1}),
        "candidates[0].value_by_period.2027: must be >= 0",
    ),
    (
        "value_by_period in an unknown period",
        lambda d: d["candidates"][0].update(value_by_period={"2031": 4}),
        "candidates[0].value_by_period.2031: period is not listed in periods",
    ),
    (
        "value_by_period not an object",
        lambda d: d["candidates"][0].update(value_by_period=[4]),
        "candidates[0].value_by_period: must be an object",
    ),
    (
        "value range without value",
        lambda d: (
            d["candidates"][0].update(value_by_period={"2027": 4}, value_low=1)
            or d["candidates"][0].pop("value")
        ),
        "candidates[0].value_low: needs value",
    ),
    ("negative rate", lambda d: d.update(discount_rate=-0.05), "discount_rate: must be >= 0"),
    ("text rate", lambda d: d.update(discount_rate="5%"), "discount_rate: must be a number"),
    (
        "theme share max above 1",
        lambda d: d.update(theme_share={"customer": {"max": 1.2}}),
        "theme_share.customer.max: must be <= 1",
    ),
    (
        "theme share min above max",
        lambda d: d.update(theme_share={"customer": {"min": 0.5, "max": 0.2}}),
        "theme_share.customer: min 0.5 is above max 0.2",
    ),
    (
        "theme share for an unknown theme",
        lambda d: d.update(theme_share={"planet": {"max": 0.2}}),
        "theme_share.planet: no candidate carries this theme",
    ),
    (
        "theme share given twice",
        lambda d: d.update(
            theme_share={"customer": {"max": 0.5}}, theme_min_share={"customer": 0.1}
        ),
        "theme_share.customer: also given in theme_min_share",
    ),
    (
        "theme share unknown key",
        lambda d: d.update(theme_share={"customer": {"least": 0.1}}),
        "theme_share.customer.least: unknown field",
    ),
    (
        "negative run cost",
        lambda d: d["candidates"][0].update(run_cost=-3),
        "candidates[0].run_cost",
    ),
    ("zero lifetime", lambda d: d["candidates"][0].update(lifetime=0), "candidates[0].lifetime"),
    (
        "go-live in an unknown period",
        lambda d: d["candidates"][0].update(go_live="2040"),
        "candidates[0].go_live: period is not listed in periods",
    ),
    (
        "negative negative_impact",
        lambda d: d["candidates"][0].update(negative_impact=-2),
        "candidates[0].negative_impact: must be >= 0",
    ),
    (
        "tail without years",
        lambda d: d.update(run_cost_past_horizon={"budget": 5}),
        "run_cost_past_horizon.years: required",
    ),
    (
        "tail of zero years",
        lambda d: d.update(run_cost_past_horizon={"years": 0}),
        "run_cost_past_horizon.years: must be >= 1",
    ),
    (
        "negative tail budget",
        lambda d: d.update(run_cost_past_horizon={"years": 3, "budget": -1}),
        "run_cost_past_horizon.budget: must be >= 0",
    ),
    (
        "negative tail penalty",
        lambda d: d.update(run_cost_past_horizon={"years": 3, "penalty": -1}),
        "run_cost_past_horizon.penalty: must be >= 0",
    ),
    (
        "tail unknown key",
        lambda d: d.update(run_cost_past_horizon={"years": 3, "mode": "budget"}),
        "run_cost_past_horizon.mode: unknown field",
    ),
    # the optimizer's range (docs/optimizer.md, "Range")
    (
        "value above the range",
        lambda d: d["candidates"][1].update(value=1e16),
        "candidates[1].value: must be at most 1e+15 in size",
    ),
    (
        "value of 1e300",
        lambda d: d["candidates"][1].update(value=-1e300),
        "candidates[1].value: must be at most 1e+15 in size",
    ),
    (
        "a 400-digit integer",
        lambda d: d["candidates"][1].update(value=10**400),
        "candidates[1].value: must be at most 1e+15 in size",
    ),
    (
        "value below the range",
        lambda d: d["candidates"][1].update(value=1e-7),
        "candidates[1].value: must be 0 or at least 1e-06 in size",
    ),
    (
        "cost of 1e308",
        lambda d: d["candidates"][0]["cost"].update({"2027": 1e308}),
        "candidates[0].cost.2027: must be at most 1e+15",
    ),
    (
        "costs adding up beyond the range",
        lambda d: d["candidates"][1]["cost"].update({"2027": 6e14, "2028": 6e14}),
        "candidates[1].cost: adds up to 1.2e+15",
    ),
    (
        "budget of 1e308",
        lambda d: d["budget"].update({"2027": 1e308}),
        "budget.2027: must be at most 1e+15",
    ),
    (
        "a share below the range",
        lambda d: d.update(department_share={"IT": {"min": 1e-9}}),
        "department_share.IT.min: must be 0 or at least 1e-06",
    ),
    (
        "count beyond the range",
        lambda d: d.update(count={"max": 10**400}),
        "count.max: must be <= 1e+15",
    ),
    (
        "too many years past the horizon",
        lambda d: d.update(run_cost_past_horizon={"years": 10**6}),
        "run_cost_past_horizon.years: must be <= 1000",
    ),
    (
        "a discount rate above 1000%",
        lambda d: d.update(discount_rate=1e15),
        "discount_rate: must be <= 10",
    ),
    (
        "discount factors beyond the range",
        lambda d: d.update(discount_rate=10, run_cost_past_horizon={"years": 1000}),
        "discount_rate: (1 + rate) to the power of 1003",
    ),
    (
        "a penalty beyond the range",
        lambda d: (
            d["candidates"][1].update(run_cost=1e6),
            d.update(run_cost_past_horizon={"years": 10, "penalty": 1e12}),
        ),
        "run_cost_past_horizon.penalty: penalty x run cost x years reaches 1e+19",
    ),
]


def test_base_is_valid():
    assert optimizer.validate(base()) == []


@pytest.mark.parametrize(("label", "change", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_is_named_by_path(label, change, expected):
    doc = mutate(change)
    errors = optimizer.validate(doc)
    assert any(e.startswith(expected) for e in errors), errors
    result = optimizer.solve(doc)
    assert result.status == "invalid"
    assert result.errors == errors
    assert result.to_dict()["status"] == "invalid"


def test_every_error_is_reported_at_once():
    doc = base()
    doc["candidates"][1]["value"] = "high"
    doc["candidates"][2]["cost"]["2099"] = 1
    doc["force_in"] = ["nobody"]
    assert len(optimizer.validate(doc)) == 3


@pytest.mark.parametrize("junk", [None, [], "text", 3, {"schema": "converge.problem/1"}])
def test_junk_never_raises(junk):
    result = optimizer.solve(junk)
    assert result.status == "invalid" and result.errors


def test_from_dict_raises_with_errors():
    doc = mutate(lambda d: d.update(force_in=["Z"]))
    with pytest.raises(optimizer.InvalidProblem) as info:
        optimizer.Problem.from_dict(doc)
    assert info.value.errors == optimizer.validate(doc)


def test_new_fields_are_valid_and_optional():
    doc = base()
    doc["candidates"][0].pop("value")
    doc["candidates"][0]["value_by_period"] = {"2028": 3, "2029": 5}
    doc["candidates"][1].update(value=-2, run_cost=4, lifetime=3, go_live="2029", negative_impact=6)
    doc["candidates"][2].update(value_low=-1, value=0, value_high=4)
    doc.update(
        discount_rate=0.08,
        theme_share={"customer": {"min": 0.1, "max": 0.9}},
        run_cost_past_horizon={"years": 5, "budget": 100, "penalty": 0.5},
    )
    assert optimizer.validate(doc) == []
    assert optimizer.validate(base()) == []  # converge.problem/1 without any of them


def test_negative_value_is_valid():
    """Impacts may be negative and the portal folds them into `value`: a net value below 0."""
    doc = mutate(lambda d: d["candidates"][1].update(value=-1))
    assert optimizer.validate(doc) == []


def test_theme_min_share_is_a_synonym_for_min():
    old = mutate(lambda d: d.update(theme_min_share={"customer": 0.3}))
    new = mutate(lambda d: d.update(theme_share={"customer": {"min": 0.3}}))
    assert optimizer.Problem.from_dict(old) == optimizer.Problem.from_dict(new)


def test_round_trip_with_new_fields():
    doc = base()
    doc["candidates"][0].pop("value")
    doc["candidates"][0]["value_by_period"] = {"2028": 3}
    doc["candidates"][1].update(run_cost=4, lifetime=3, go_live="2029", negative_impact=6)
    doc.update(
        discount_rate=0.08,
        theme_share={"customer": {"max": 0.9}},
        run_cost_past_horizon={"years": 5, "budget": 100},
    )
    problem = optimizer.Problem.from_dict(doc)
    assert optimizer.Problem.from_dict(problem.to_dict()) == problem
    assert "value" not in problem.to_dict()["candidates"][0]


def test_round_trip():
    doc = base()
    doc["requires"] = [["A", "B"]]
    doc["count"] = {"min": 1, "max": 3}
    problem = optimizer.Problem.from_dict(doc)
    again = optimizer.Problem.from_dict(problem.to_dict())
    assert again == problem


@pytest.mark.parametrize(
    ("settings", "path"),
    [
        ({"backend": "gurobi"}, "solver.backend"),
        ({"time_limit": 0}, "solver.time_limit"),
        ({"time_limit": float("nan")}, "solver.time_limit"),
        ({"time_limit": float("inf")}, "solver.time_limit"),
        ({"time_limit": 10**400}, "solver.time_limit"),
        ({"gap": -0.1}, "solver.gap"),
        ({"gap": float("nan")}, "solver.gap"),
        ({"explain_time_limit": -1}, "solver.explain_time_limit"),
        ({"diagnose_time_limit": float("inf")}, "solver.diagnose_time_limit"),
    ],
)
def test_bad_solver_settings_are_invalid(settings, path):
    result = optimizer.solve(base(), **settings)
    assert result.status == "invalid"
    assert result.errors[0].startswith(path)
    json.dumps(result.to_dict(), allow_nan=False)  # what the CLI writes: no nan, no inf
