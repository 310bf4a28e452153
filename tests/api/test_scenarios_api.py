"""The scenarios API: portfolio managers only; create, start a run, read its result."""

import importlib.util

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Run, RunStatus, Scenario
from tests.api.conftest import error_of

SCENARIO = {
    "name": "Plan 2027-2028",
    "periods": ["2027", "2028"],
    "budget": {"2027": 1000000, "2028": 800000},
    "capacity": {"Engineering": {"2027": 40}},
    "department_shares": {"Finance": {"min": 0.1, "max": 0.4}},
    "count_max": 30,
    "backend": "highs",
}


def test_create_read_and_list(pm_api, pm):
    response = pm_api.post("/api/v1/scenarios", json=SCENARIO)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["owner"]["id"] == pm.id and body["budget"] == {"2027": 1000000, "2028": 800000}
    assert body["objective"] == "value" and body["time_limit"] == 60
    assert pm_api.get(response.headers["Location"]).get_json() == body
    assert [s["id"] for s in pm_api.get("/api/v1/scenarios").get_json()] == [body["id"]]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": ""}, "name"),
        ({"periods": []}, "periods"),
        ({"periods": ["2027", "2027"]}, "periods"),
        ({"budget": {"2030": 5}}, "budget"),
        ({"budget": {"2027": -5}}, "budget"),
        ({"capacity": {"Engineering": {"1999": 1}}}, "capacity"),
        ({"department_shares": {"Finance": {"min": 0.5, "max": 0.2}}}, "department_shares"),
        ({"count_min": 5, "count_max": 2}, "count_max"),
        ({"force_in": [1], "force_out": [1]}, "force_out"),
        ({"backend": "gurobi"}, "backend"),
        ({"time_limit": 0}, "time_limit"),
    ],
)
def test_invalid_scenario_is_422(pm_api, change, field):
    response = pm_api.post("/api/v1/scenarios", json={**SCENARIO, **change})
    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert db.session.scalar(sa.select(sa.func.count(Scenario.id))) == 0


def test_only_portfolio_managers(api_for, employee, brm, admin, pm_api):
    scenario_id = pm_api.post("/api/v1/scenarios", json=SCENARIO).get_json()["id"]
    for user in (employee, brm, admin):
        api = api_for(user)
        for response in (
            api.get("/api/v1/scenarios"),
            api.post("/api/v1/scenarios", json=SCENARIO),
            api.get(f"/api/v1/scenarios/{scenario_id}"),
            api.post(f"/api/v1/scenarios/{scenario_id}/runs"),
            api.get(f"/api/v1/scenarios/{scenario_id}/runs"),
        ):
            assert response.status_code == 403
            assert error_of(response)["code"] == "forbidden"


def test_unknown_scenario_and_run_are_404(pm_api):
    assert pm_api.get("/api/v1/scenarios/4242").status_code == 404
    assert pm_api.post("/api/v1/scenarios/4242/runs").status_code == 404
    assert pm_api.get("/api/v1/runs/4242").status_code == 404


def test_start_run_freezes_the_problem_and_starts_it(pm_api, pm, fake_runner):
    scenario_id = pm_api.post("/api/v1/scenarios", json=SCENARIO).get_json()["id"]
    response = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs")
    assert response.status_code == 202, response.get_json()
    run = response.get_json()
    assert run["number"] == 1 and run["status"] == "queued" and run["result"] is None
    assert run["problem"]["budget"] == {"2027": 1000000, "2028": 800000}
    assert run["settings"] == {"objective": "value", "backend": "highs", "time_limit": 60}
    assert [r.id for r in fake_runner] == [run["id"]]
    second = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs").get_json()
    assert second["number"] == 2
    listing = pm_api.get(f"/api/v1/scenarios/{scenario_id}/runs").get_json()
    assert [r["number"] for r in listing] == [2, 1]


def test_read_a_finished_run(pm_api, fake_runner):
    scenario_id = pm_api.post("/api/v1/scenarios", json=SCENARIO).get_json()["id"]
    run_id = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs").get_json()["id"]
    run = db.session.get(Run, run_id)
    run.status = RunStatus.DONE
    run.result = {"schema": "converge.result/1", "status": "optimal", "selected": []}
    run.result_status = "optimal"
    run.objective_value = 0.0
    db.session.commit()
    body = pm_api.get(f"/api/v1/runs/{run_id}").get_json()
    assert body["status"] == "done" and body["result"]["status"] == "optimal"
    assert body["objective_value"] == 0.0


def test_scenario_that_cannot_be_run_is_409(pm_api, fake_runner, pm):
    scenario = Scenario(name="Empty", owner=pm, periods=[])
    db.session.add(scenario)
    db.session.commit()
    response = pm_api.post(f"/api/v1/scenarios/{scenario.id}/runs")
    assert response.status_code == 409 and "no periods" in error_of(response)["message"]
    assert fake_runner == []


def test_runs_unavailable_without_the_optimizer_bridge(pm_api):
    if importlib.util.find_spec("portal.portfolio") is not None:
        pytest.skip("the optimizer bridge exists: runs are available")
    scenario_id = pm_api.post("/api/v1/scenarios", json=SCENARIO).get_json()["id"]
    response = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs")
    assert response.status_code == 503
    assert "not available" in error_of(response)["message"]
    assert db.session.scalar(sa.select(sa.func.count(Run.id))) == 0
