"""Defining, editing and cloning scenarios in the browser; who may do what."""

import pytest

from portal.auth.sessions import session_values
from portal.extensions import db
from portal.models import AuditEvent, Scenario, ScenarioObjective
from tests.conftest import make_app


def _form(**overrides):
    data = {
        "name": "Growth 2027",
        "description": "Three years of growth.",
        "periods": "2027, 2028, 2029",
        "budget": "2027: 1.2M\n2028: 800k",
        "capacity": "",
        "states": ["approved", "deferred"],
        "time_limit": "30",
        "backend": "highs",
        "objective": "risk_adjusted",
        "apply_requires": "y",
        "apply_together": "y",
        "count_min": "1",
        "count_max": "9",
    }
    data.update(overrides)
    return data


def test_pm_defines_a_scenario(pm_client, make_pool, make_candidate, department, objective):
    pool = make_pool("Data team", {"2027": 12})
    idea = make_candidate()
    page = pm_client.get("/portfolio/scenarios/new")
    assert page.status_code == 200
    assert b"Data team 2027: 12" in page.data  # capacities prefilled from the pool
    response = pm_client.post(
        "/portfolio/scenarios/new",
        data=_form(
            capacity="Data team 2028: 10",
            **{
                "shares-0-key": str(department.id),
                "shares-0-min": "10",
                "shares-0-max": "60",
                "themes-0-key": str(objective.id),
                "themes-0-min": "25",
                "force_in": f"IDEA-{idea.id}",
                "start_later": f"IDEA-{idea.id}: 2",
                "start_later_all": "1",
                "departments": [str(department.id)],
            },
        ),
    )
    assert response.status_code == 302
    scenario = db.session.scalars(db.select(Scenario)).one()
    assert scenario.periods == ["2027", "2028", "2029"]
    assert scenario.budget == {"2027": 1_200_000.0, "2028": 800_000.0}
    assert scenario.capacity == {str(pool.id): {"2028": 10.0}}
    assert scenario.department_shares == {str(department.id): {"min": 0.1, "max": 0.6}}
    assert scenario.theme_min_shares == {str(objective.id): 0.25}
    assert scenario.candidate_filter == {
        "states": ["approved", "deferred"],
        "department_ids": [department.id],
        "objective_ids": [],
    }
    assert scenario.force_in == [idea.id] and scenario.force_out == []
    assert scenario.start_later == {str(idea.id): 2, "*": 1}
    assert (scenario.count_min, scenario.count_max) == (1, 9)
    assert scenario.apply_requires and not scenario.apply_excludes and scenario.apply_together
    assert scenario.objective == ScenarioObjective.RISK_ADJUSTED
    assert (scenario.backend, scenario.time_limit) == ("highs", 30)
    assert db.session.scalar(db.select(AuditEvent.action)) == "scenario_created"
    page = pm_client.get(f"/portfolio/scenarios/{scenario.id}")
    assert b"Growth 2027" in page.data and b"10% to 60%" in page.data


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": ""}, b"This field is required"),
        ({"periods": "2027, 2027"}, b"listed twice"),
        ({"periods": "2027, FY#28"}, b"not a period name"),
        ({"budget": "2030: 5"}, b"not one of the planning periods"),
        ({"budget": "2027: lots"}, b"is not an amount"),
        ({"budget": "2027: 1e21"}, b"is more than 1,000,000,000,000"),
        ({"budget": "2027: 1000000000000000000000"}, b"the largest amount the portal takes"),
        ({"budget": "2027 1000"}, b"write it as"),
        ({"capacity": "Robots 2027: 4"}, b"is not a resource pool"),
        ({"count_min": "5", "count_max": "2"}, b"above"),
        ({"force_in": "IDEA-1", "force_out": "idea-1"}, b"both in and out"),
        ({"force_in": "twelve"}, b"not an idea reference"),
        ({"force_in": "IDEA-999999"}, b"No idea IDEA-999999"),
        ({"start_later": "IDEA-1: 5"}, b"cannot start 5 periods later"),
        ({"states": []}, b"Tick at least one state"),
        ({"time_limit": "0"}, b"Number must be between"),
        ({"shares-0-min": "70", "shares-0-max": "20"}, b"minimum is above the maximum"),
        ({"shares-0-min": "170"}, b"Between 0 and 100"),
    ],
)
def test_invalid_settings_are_explained(pm_client, department, overrides, message):
    overrides.setdefault("shares-0-key", str(department.id))
    response = pm_client.post("/portfolio/scenarios/new", data=_form(**overrides))
    assert response.status_code == 400
    assert message in response.data
    assert b"need your attention" in response.data
    assert b"{&#39;" not in response.data and b">{}<" not in response.data  # no Python shown
    assert db.session.scalar(db.select(db.func.count(Scenario.id))) == 0


def test_department_minimums_over_100_percent(pm_client, department, make_department):
    other = make_department("Sales")
    response = pm_client.post(
        "/portfolio/scenarios/new",
        data=_form(
            **{
                "shares-0-key": str(department.id),
                "shares-0-min": "60",
                "shares-1-key": str(other.id),
                "shares-1-min": "50",
            }
        ),
    )
    assert response.status_code == 400 and b"add up to 110" in response.data


def test_edit_and_clone(pm_client, make_scenario, pm):
    scenario = make_scenario(name="Base", budget={"2027": 300.0}, force_out=[])
    page = pm_client.get(f"/portfolio/scenarios/{scenario.id}/edit")
    assert b"2027: 300" in page.data
    response = pm_client.post(f"/portfolio/scenarios/{scenario.id}/clone", follow_redirects=False)
    copy = db.session.scalars(db.select(Scenario).where(Scenario.id != scenario.id)).one()
    assert response.headers["Location"].endswith(f"/portfolio/scenarios/{copy.id}/edit")
    assert copy.name == "Copy of Base" and copy.cloned_from_id == scenario.id
    assert copy.budget == {"2027": 300.0} and copy.periods == scenario.periods
    response = pm_client.post(
        f"/portfolio/scenarios/{copy.id}/edit",
        data=_form(name="Base, bigger budget", periods="2027, 2028, 2029", budget="2027: 400"),
    )
    assert response.status_code == 302
    db.session.refresh(copy)
    db.session.refresh(scenario)
    assert copy.budget == {"2027": 400.0} and scenario.budget == {"2027": 300.0}


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/portfolio/scenarios/new"),
        ("post", "/portfolio/scenarios/new"),
        ("get", "/portfolio/scenarios/{s}/edit"),
        ("post", "/portfolio/scenarios/{s}/clone"),
        ("post", "/portfolio/scenarios/{s}/run"),
    ],
)
def test_only_portfolio_managers_change_scenarios(
    brm_client, employee_client, make_scenario, method, path
):
    scenario = make_scenario()
    url = path.format(s=scenario.id)
    assert getattr(brm_client, method)(url).status_code == 403
    assert getattr(employee_client, method)(url).status_code == 403


def test_brms_read_employees_do_not(brm_client, employee_client, make_scenario, client):
    scenario = make_scenario(name="Readable")
    index = brm_client.get("/portfolio/")
    assert index.status_code == 200 and b"Readable" in index.data
    assert b"New scenario" not in index.data
    page = brm_client.get(f"/portfolio/scenarios/{scenario.id}")
    assert page.status_code == 200 and b"Run</button>" not in page.data
    assert employee_client.get("/portfolio/").status_code == 403
    assert employee_client.get(f"/portfolio/scenarios/{scenario.id}").status_code == 403
    assert client.get("/portfolio/").status_code == 302  # to sign in


def test_navigation_entries(pm_client, brm_client, employee_client):
    assert b'href="/portfolio/"' in pm_client.get("/ideas/").data
    assert b'href="/portfolio/"' in brm_client.get("/ideas/").data
    page = employee_client.get("/ideas/").data
    assert b'href="/portfolio/"' not in page and b'href="/portfolio/plan"' in page


def test_forms_need_csrf(database_url, tmp_path, pm):
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True, RUNS_INLINE=True)
    client = app.test_client()
    values = session_values(pm)
    db.session.commit()
    with client.session_transaction() as session:
        session.update(values)
    assert client.post("/portfolio/scenarios/new", data=_form()).status_code == 400
    with app.app_context():  # the second app has its own engine: close its connections
        db.session.remove()
        db.engine.dispose()


def test_every_problem_of_a_field_is_reported_at_once(pm_client, department, make_pool):
    make_pool("Engineering")
    response = pm_client.post(
        "/portfolio/scenarios/new",
        data=_form(
            periods="2027, 2027, banana!",
            budget="2027: lots\n2031: 1M\nnonsense\n2027: 5",
            capacity="Robots 2027: 4\nEngineering 2027: -2",
        ),
    )
    assert response.status_code == 400
    html = response.data.decode().replace("&#39;", "'")
    assert "Period 2027 is listed twice." in html
    assert "'banana!' is not a period name" in html
    assert "Line 1: 'lots' is not an amount" in html
    assert "Line 2: '2031' is not one of the planning periods." in html
    assert "Line 3: write it as 'name: amount'." in html
    assert "Line 4: a second budget for 2027." in html
    assert html.index("Line 2: '2031'") < html.index("Line 3: write it") < html.index("Line 4: a")
    assert "Line 1: 'Robots' is not a resource pool" in html
    assert "Line 2: '-2' is negative; amounts are 0 or more." in html
    assert db.session.scalar(db.select(db.func.count(Scenario.id))) == 0
