"""Issue 13 in the portal: estimates over time, the scenario's time settings, the problem the
bridge builds from them, the run page's plan in time and the roadmap."""

import io

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import Role, Scenario
from portal.portfolio.problem import build_problem, idea_ref
from tests.optimizer.test_mps import _cbc_optimum, _highs_optimum
from tests.portfolio.test_runs import _run
from tests.portfolio.test_scenarios import _form


@pytest.fixture
def lock_in(make_objective):
    return make_objective("Vendor independence", 1.0)


@pytest.fixture
def timed(make_candidate, make_estimate, make_user, lock_in, objective, employee):
    """Three ideas: one whose value ramps up late, one with a vendor lock-in and a run cost
    that outlives the horizon, and a plain one."""
    late = make_candidate(4, 100.0, submitter=employee, value_profile={"2028": 1, "2029": 3})
    locked = make_candidate(4, 100.0, submitter=employee)
    make_estimate(
        locked,
        make_user(Role.BRM),
        impacts={objective: 4, lock_in: -2},
        costs={"2027": 100.0},
        run_cost_per_year=30.0,
        lifetime_years=6,
    )
    plain = make_candidate(2, 100.0, submitter=employee)
    return late, locked, plain


def test_the_problem_carries_value_over_time_negative_impacts_and_run_cost(make_scenario, timed):
    late, locked, plain = timed
    scenario = make_scenario(discount_rate=0.1, tail_years=2, tail_budget=1000.0)
    problem = build_problem(scenario).problem
    cands = {c["id"]: c for c in problem["candidates"]}
    # Customer and Vendor independence weigh 1 each: impact 4 on one is 50 points.
    assert cands[idea_ref(late.id)]["value_by_period"] == {"2028": 12.5, "2029": 37.5}
    assert cands[idea_ref(late.id)]["value"] == 0.0
    locked_c = cands[idea_ref(locked.id)]
    assert locked_c["value"] == 25.0 and locked_c["negative_impact"] == 25.0
    assert locked_c["run_cost"] == 30.0 and locked_c["lifetime"] == 6
    assert cands[idea_ref(plain.id)]["value"] == 25.0
    assert problem["discount_rate"] == pytest.approx(0.1)
    assert problem["run_cost_past_horizon"] == {"years": 2, "budget": 1000.0}


def test_value_stated_past_the_horizon_is_lost(make_scenario, make_candidate):
    """The profile spreads the whole value; what falls outside the scenario's periods is not
    counted (docs/lifecycle.md), as the optimizer loses value shifted past the last period."""
    idea = make_candidate(4, 100.0, value_profile={"2029": 1, "2031": 1})
    problem = build_problem(make_scenario()).problem
    (c,) = [c for c in problem["candidates"] if c["id"] == idea_ref(idea.id)]
    assert c["value_by_period"] == {"2029": 50.0}


def test_theme_shares_take_both_bounds_and_a_minimum_alone_keeps_the_older_form(
    make_scenario, timed, objective, lock_in
):
    scenario = make_scenario(
        theme_min_shares={str(objective.id): 0.2},
        theme_max_shares={str(objective.id): 0.9},
    )
    problem = build_problem(scenario).problem
    assert problem["theme_share"] == {"Customer": {"min": 0.2, "max": 0.9}}
    assert problem["theme_min_share"] == {}
    scenario.theme_max_shares = {}
    db.session.commit()
    problem = build_problem(scenario).problem
    assert problem["theme_min_share"] == {"Customer": 0.2} and "theme_share" not in problem


def test_discounting_prefers_value_that_comes_early(pm_client, make_scenario, make_candidate):
    early = make_candidate(4, 100.0, value_profile={"2027": 1})
    late = make_candidate(4, 100.0, value_profile={"2029": 1})
    run = _run(pm_client, make_scenario(budget={"2027": 100.0}, discount_rate=0.5))
    assert [s["id"] for s in run.result["selected"]] == [idea_ref(early.id)]
    assert idea_ref(late.id) not in {s["id"] for s in run.result["selected"]}


def test_mps_export_alone_gives_the_runs_optimum(
    tmp_path, pm_client, make_scenario, make_candidate, timed
):
    """The run's MPS download, read by HiGHS and by CBC with nothing else, minimizes to minus
    the run's value: the maximize sense travels in the file, and so do the streams shifted by
    a later start, the discounting and the run cost past the horizon as a budget line."""
    late, locked, plain = timed
    make_candidate(3, 100.0, costs={"2027": 100.0, "2028": 50.0}, value_profile={"2028": 1})
    scenario = make_scenario(
        budget={"2027": 200.0, "2028": 100.0},
        discount_rate=0.1,
        tail_years=2,
        tail_budget=100.0,
        start_later={"*": 1},
    )
    run = _run(pm_client, scenario)
    assert run.result_status == "optimal" and run.objective_value > 50
    response = pm_client.get(f"/portfolio/runs/{run.id}/problem.mps")
    assert response.status_code == 200
    path = tmp_path / "run.mps"
    path.write_bytes(response.data)
    assert "NEGATED" in response.data.decode().splitlines()[1]
    assert -_highs_optimum(str(path)) == pytest.approx(run.objective_value, abs=1e-6)
    assert -_cbc_optimum(str(path)) == pytest.approx(run.objective_value, abs=1e-6)


def test_run_page_says_when_a_left_out_idea_would_fit_and_what_value_it_needs(
    pm_client, make_scenario, make_candidate
):
    """The optimizer's time notes reach the "why these ideas are not in" card: the later start
    at which a left-out idea would fit and the value per period it would need."""
    make_candidate(4, 100.0)  # 100 points, takes the 2027 budget
    late = make_candidate(2, 100.0, value_profile={"2028": 1})  # 50 points, in 2028
    run = _run(pm_client, make_scenario(budget={"2027": 100.0, "2028": 100.0}))
    assert idea_ref(late.id) not in {s["id"] for s in run.result["selected"]}
    page = pm_client.get(f"/portfolio/runs/{run.id}").data.decode()
    row = page[page.index(late.title) :].split("</tr>", 1)[0]
    assert "would fit if it started in 2028 (1 later; it may start at most 0 later)" in row
    assert "it would need 100 in 2028 (now 50)" in row


def test_run_page_shows_value_over_time_and_the_run_cost_after_the_horizon(
    pm_client, make_scenario, timed
):
    late, locked, plain = timed
    run = _run(pm_client, make_scenario(budget={"2027": 1000.0}, discount_rate=0.1, tail_years=2))
    page = pm_client.get(f"/portfolio/runs/{run.id}").data.decode()
    assert "data-plan-in-time" in page and "data-value-over-time" in page
    assert "This plan adds <strong>30</strong> of yearly run cost from 2030" in page
    assert "<strong>60</strong> in all over the 2 periods counted past the horizon" in page
    assert "Chosen despite what they hinder later" in page and locked.title in page
    assert "NPV of cost" in page and "TCO" in page


def test_roadmap_of_a_run_and_of_the_adopted_plan(
    pm_client, employee_client, brm_client, make_scenario, timed
):
    late, locked, plain = timed
    run = _run(pm_client, make_scenario(budget={"2027": 1000.0}))
    page = brm_client.get(f"/portfolio/runs/{run.id}/roadmap").data.decode()
    assert page.count("data-bar=") == 3 and "data-budget-use" in page
    assert f'data-bar="{idea_ref(locked.id)}" data-start="2027" data-lands="2027"' in page
    by_objective = brm_client.get(f"/portfolio/runs/{run.id}/roadmap?by=objective").data
    assert b"Customer" in by_objective
    assert brm_client.get(f"/portfolio/runs/{run.id}/roadmap?by=nonsense").status_code == 200
    png = brm_client.get(f"/portfolio/runs/{run.id}/roadmap.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    assert employee_client.get(f"/portfolio/runs/{run.id}/roadmap").status_code == 403
    assert employee_client.get(f"/portfolio/runs/{run.id}/roadmap.png").status_code == 403
    # The plan's roadmap: nothing adopted yet, then everyone sees what lands when.
    assert b"data-no-plan" in employee_client.get("/portfolio/plan/roadmap").data
    assert employee_client.get("/portfolio/plan/roadmap.png").status_code == 404
    pm_client.post(f"/portfolio/runs/{run.id}/adopt")
    plan = employee_client.get("/portfolio/plan/roadmap").data.decode()
    assert plan.count("data-bar=") == 3
    png = employee_client.get("/portfolio/plan/roadmap.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")


def test_xlsx_export_has_the_roadmap(brm_client, pm_client, make_scenario, timed):
    late, locked, plain = timed
    run = _run(pm_client, make_scenario(budget={"2027": 1000.0}))
    book = load_workbook(
        io.BytesIO(brm_client.get(f"/portfolio/runs/{run.id}/selection.xlsx").data)
    )
    sheet = book["Roadmap"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("Department", "Reference", "Title", "Start", "Lands", "2027")
    refs = {r[1] for r in rows[1:4]}
    assert refs == {idea_ref(i.id) for i in (late, locked, plain)}
    assert any(r[0] == "Budget used" for r in rows)
    assert sheet._images  # the roadmap chart beside the table
    header = list(next(book["Selection"].iter_rows(values_only=True)))
    assert "TCO" in header and "NPV of cost" in header


def test_scenario_form_saves_the_time_settings(pm_client, objective, timed):
    data = _form()
    data.update(
        {
            "discount_rate": "8",
            "tail_years": "3",
            "tail_budget": "1.5M",
            "themes-0-key": str(objective.id),
            "themes-0-min": "10",
            "themes-0-max": "80",
        }
    )
    response = pm_client.post("/portfolio/scenarios/new", data=data)
    assert response.status_code == 302, response.data.decode()[:2000]
    scenario = db.session.scalars(db.select(Scenario)).one()
    assert scenario.discount_rate == pytest.approx(0.08)
    assert (scenario.tail_years, scenario.tail_budget) == (3, 1_500_000.0)
    assert scenario.theme_min_shares == {str(objective.id): 0.1}
    assert scenario.theme_max_shares == {str(objective.id): 0.8}
    edit = pm_client.get(f"/portfolio/scenarios/{scenario.id}/edit").data.decode()
    assert 'value="8.0"' in edit or 'value="8"' in edit
    page = pm_client.get(f"/portfolio/scenarios/{scenario.id}").data.decode()
    assert "3 years, budget line of 1,500,000" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("discount_rate", "150", "Between 0 and 100"),
        ("tail_years", "51", "Number must be between"),
        ("tail_budget", "lots", "is not an amount"),
        ("themes-0-max", "5", "The minimum is above the maximum"),
    ],
)
def test_scenario_time_settings_refused_with_a_message(pm_client, objective, field, value, message):
    data = _form()
    data.update({"themes-0-key": str(objective.id), "themes-0-min": "10", field: value})
    response = pm_client.post("/portfolio/scenarios/new", data=data)
    assert response.status_code == 400 and message in response.data.decode()
