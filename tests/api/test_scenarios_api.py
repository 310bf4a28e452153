"""The scenarios API over the portfolio service: the form's settings and rules, the portfolio
pages' roles, real (inline) runs, retries and results read from the run."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Run, RunStatus, Scenario, ScenarioObjective
from portal.portfolio.problem import idea_ref
from tests.api.conftest import error_of


@pytest.fixture
def three_ideas(make_candidate):
    """Values 100, 50, 25 costing 200, 100, 100 in 2027: with a budget of 250 the best
    portfolio is the big idea alone (100 > 50 + 25)."""
    return make_candidate(4, 200.0), make_candidate(2, 100.0), make_candidate(1, 100.0)


@pytest.fixture
def settings(make_pool, department, objective):
    """Every kind of setting the scenario form saves, in its stored shape."""
    pool = make_pool("Engineering", {"2027": 40})
    return {
        "name": "Plan 2027-2029",
        "periods": ["2027", "2028", "2029"],
        "budget": {"2027": 250, "2028": 800},
        "capacity": {str(pool.id): {"2027": 40}},
        "candidate_filter": {
            "states": ["approved", "deferred"],
            "department_ids": [],
            "objective_ids": [],
        },
        "department_shares": {str(department.id): {"min": 0.1, "max": 1.0}},
        "theme_min_shares": {str(objective.id): 0.2},
        "count_max": 30,
        "start_later": {"*": 1},
        "backend": "highs",
        "time_limit": 20,
    }


def test_create_read_and_list(pm_api, pm, brm_api, settings):
    response = pm_api.post("/api/v1/scenarios", json=settings)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["owner"]["id"] == pm.id and body["budget"] == {"2027": 250, "2028": 800}
    assert body["capacity"] == settings["capacity"]
    assert body["department_shares"] == settings["department_shares"]
    assert body["theme_min_shares"] == settings["theme_min_shares"]
    assert body["candidate_filter"] == {**settings["candidate_filter"], "campaign_id": None}
    assert body["start_later"] == {"*": 1} and body["force_in"] == []
    assert body["objective"] == "value" and body["time_limit"] == 20
    assert pm_api.get(response.headers["Location"]).get_json() == body
    # BRMs read scenarios, as on the portfolio pages.
    assert [s["id"] for s in brm_api.get("/api/v1/scenarios").get_json()] == [body["id"]]
    scenario = db.session.get(Scenario, body["id"])
    assert scenario.capacity == settings["capacity"]
    assert scenario.objective == ScenarioObjective.VALUE
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "scenario_created"))
    assert audit.object_id == scenario.id and audit.actor_id == pm.id


def test_defaults_are_the_forms(pm_api):
    response = pm_api.post("/api/v1/scenarios", json={"name": "Minimal", "periods": ["2027"]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["candidate_filter"]["states"] == ["approved", "deferred", "selected"]
    assert body["budget_mode"] == "total"
    assert body["apply_requires"] and body["backend"] == "cbc" and body["time_limit"] == 60


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"name": " "}, "name", "name"),
        ({"periods": []}, "periods", "at least one"),
        ({"periods": ["2027", "2027"]}, "periods", "listed twice"),
        ({"periods": ["FY#28"]}, "periods", "not a period name"),
        ({"periods": [str(2000 + y) for y in range(13)]}, "periods", "At most 12"),
        ({"budget": {"2030": 5}}, "budget", "not one of the planning periods"),
        ({"budget": {"2027": -5}}, "budget", ""),
        ({"budget": {"2027": 1e21}}, "budget", ""),
        ({"capacity": {"999": {"2027": 1}}}, "capacity", "No resource pool 999"),
        ({"capacity": {"Engineering": {"2027": 1}}}, "capacity", "by its id"),
        ({"candidate_filter": {"states": []}}, "candidate_filter", "at least one"),
        ({"candidate_filter": {"states": ["draft"]}}, "candidate_filter", "cannot be candidates"),
        ({"candidate_filter": {"department_ids": [999]}}, "candidate_filter", "No department"),
        ({"department_shares": {"999": {"min": 0.1}}}, "department_shares", "No department"),
        ({"theme_min_shares": {"999": 0.1}}, "theme_min_shares", "No active strategic"),
        ({"count_min": 5, "count_max": 2}, "count_max", "above"),
        ({"force_in": [1], "force_out": [1]}, "force_out", "both in and out"),
        ({"force_in": [999999]}, "force_in", "No idea IDEA-999999"),
        ({"start_later": {"*": 3}}, "start_later", "cannot start 3 periods later"),
        ({"start_later": {"abc": 1}}, "start_later", "not an idea id"),
        ({"backend": "gurobi"}, "backend", "solver"),
        ({"time_limit": 0}, "time_limit", "seconds"),
    ],
)
def test_invalid_settings_are_422_by_setting(pm_api, settings, change, field, message):
    response = pm_api.post("/api/v1/scenarios", json={**settings, **change})
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert field in error["fields"], error
    assert message in " ".join(error["fields"][field]), error
    assert db.session.scalar(sa.select(sa.func.count(Scenario.id))) == 0


def test_shares_must_add_up(pm_api, settings, department, make_department):
    other = make_department("Sales")
    shares = {str(department.id): {"min": 0.6}, str(other.id): {"min": 0.5, "max": 0.4}}
    response = pm_api.post("/api/v1/scenarios", json={**settings, "department_shares": shares})
    assert response.status_code == 422
    messages = error_of(response)["fields"]["department_shares"]
    assert any("above its maximum" in m for m in messages)
    assert any("add up to 110%" in m for m in messages)


def test_update_and_clone(pm_api, settings):
    scenario_id = pm_api.post("/api/v1/scenarios", json=settings).get_json()["id"]
    url = f"/api/v1/scenarios/{scenario_id}"
    response = pm_api.put(url, json={**settings, "budget": {"2027": 300}})
    assert response.status_code == 200 and response.get_json()["budget"] == {"2027": 300}
    assert pm_api.put(url, json={**settings, "periods": []}).status_code == 422
    assert db.session.get(Scenario, scenario_id).periods == settings["periods"]
    copy = pm_api.post(url + "/clone")
    assert copy.status_code == 201
    body = copy.get_json()
    assert body["name"] == "Copy of Plan 2027-2029" and body["cloned_from_id"] == scenario_id
    assert body["budget"] == {"2027": 300} and copy.headers["Location"].endswith(
        f"/scenarios/{body['id']}"
    )


def test_roles_are_the_portfolio_pages(api_for, employee, brm, admin, pm_api, settings):
    settings = {**settings, "department_shares": {}, "theme_min_shares": {}}
    scenario_id = pm_api.post("/api/v1/scenarios", json=settings).get_json()["id"]
    run_id = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs").get_json()["id"]
    reads = [
        ("get", "/api/v1/scenarios"),
        ("get", f"/api/v1/scenarios/{scenario_id}"),
        ("get", f"/api/v1/scenarios/{scenario_id}/runs"),
        ("get", f"/api/v1/runs/{run_id}"),
    ]
    writes = [
        ("post", "/api/v1/scenarios"),
        ("put", f"/api/v1/scenarios/{scenario_id}"),
        ("post", f"/api/v1/scenarios/{scenario_id}/clone"),
        ("post", f"/api/v1/scenarios/{scenario_id}/runs"),
        ("post", f"/api/v1/runs/{run_id}/retry"),
    ]
    for user in (employee, brm, admin):
        api = api_for(user)
        for method, url in reads + writes:
            kwargs = {"json": settings} if method in ("post", "put") else {}
            response = getattr(api, method)(url, **kwargs)
            if user is brm and (method, url) in reads:
                assert response.status_code == 200, (method, url)
            else:
                assert response.status_code == 403, (user.role, method, url)
                assert error_of(response)["code"] == "forbidden"
    assert db.session.scalar(sa.select(sa.func.count(Scenario.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Run.id))) == 1


def test_unknown_scenario_and_run_are_404(pm_api):
    assert pm_api.get("/api/v1/scenarios/4242").status_code == 404
    assert pm_api.post("/api/v1/scenarios/4242/runs").status_code == 404
    assert pm_api.post("/api/v1/scenarios/4242/clone").status_code == 404
    assert pm_api.get("/api/v1/runs/4242").status_code == 404
    assert pm_api.post("/api/v1/runs/4242/retry").status_code == 404


def test_run_solves_for_real_and_results_are_read_from_the_run(pm_api, brm_api, three_ideas):
    big, mid, small = three_ideas
    body = {"name": "Plan 2027", "periods": ["2027", "2028"], "budget": {"2027": 250}}
    scenario_id = pm_api.post("/api/v1/scenarios", json=body).get_json()["id"]
    response = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs")
    assert response.status_code == 202, response.get_json()
    run = response.get_json()
    assert run["number"] == 1 and run["status"] == "done" and run["result_status"] == "optimal"
    assert response.headers["Location"].endswith(f"/api/v1/runs/{run['id']}")
    assert {c["id"] for c in run["problem"]["candidates"]} == {idea_ref(i.id) for i in three_ideas}
    assert run["problem"]["budget"] == {"2027": 250.0}
    assert [s["id"] for s in run["result"]["selected"]] == [idea_ref(big.id)]
    assert run["objective_value"] == pytest.approx(100.0)
    assert run["settings"]["backend"] == "cbc" and run["settings"]["display"]["Budget 2027"]
    assert run["result"]["analysis"]["state"] == "done"
    # BRMs read the result too; the listing is newest first.
    assert brm_api.get(f"/api/v1/runs/{run['id']}").get_json() == run
    second = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs").get_json()
    assert second["number"] == 2
    listing = pm_api.get(f"/api/v1/scenarios/{scenario_id}/runs").get_json()
    assert [r["number"] for r in listing] == [2, 1]
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "run_started")
        )
        == 2
    )


def test_retry_reruns_the_frozen_problem(pm_api, three_ideas, make_estimate, objective, brm):
    big, mid, small = three_ideas
    body = {"name": "Plan 2027", "periods": ["2027"], "budget": {"2027": 250}}
    scenario_id = pm_api.post("/api/v1/scenarios", json=body).get_json()["id"]
    first = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs").get_json()
    # Today's data changes: the small idea becomes worth the most.
    make_estimate(small, brm, impacts={objective: 4}, costs={"2027": 50.0})
    retry = pm_api.post(f"/api/v1/runs/{first['id']}/retry")
    assert retry.status_code == 202, retry.get_json()
    again = retry.get_json()
    assert again["number"] == 2 and again["settings"]["retry_of"] == 1
    assert again["problem"] == first["problem"]
    assert again["result"]["selected"] == first["result"]["selected"]
    fresh = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs").get_json()
    assert idea_ref(small.id) in {s["id"] for s in fresh["result"]["selected"]}


def test_retrying_an_unfinished_run_is_409(pm_api, pm, make_scenario):
    scenario = make_scenario()
    run = Run(scenario=scenario, number=1, status=RunStatus.RUNNING, problem={}, created_by=pm)
    db.session.add(run)
    db.session.commit()
    response = pm_api.post(f"/api/v1/runs/{run.id}/retry")
    assert response.status_code == 409 and "not finished" in error_of(response)["message"]


def test_scenario_that_cannot_be_run_is_409(pm_api, three_ideas):
    big, mid, small = three_ideas
    big.status = big.status.REJECTED  # a fixture change: no longer a candidate
    db.session.commit()
    body = {"name": "Forced", "periods": ["2027"], "force_in": [big.id]}
    scenario_id = pm_api.post("/api/v1/scenarios", json=body).get_json()["id"]
    response = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs")
    assert response.status_code == 409
    assert "forced in but is not a candidate" in error_of(response)["message"]
    assert db.session.scalar(sa.select(sa.func.count(Run.id))) == 0


def test_unreachable_queue_is_503(pm_api, app):
    app.config.update(RUNS_INLINE=False, REDIS_URL="redis://127.0.0.1:1/0")
    body = {"name": "Plan", "periods": ["2027"]}
    scenario_id = pm_api.post("/api/v1/scenarios", json=body).get_json()["id"]
    response = pm_api.post(f"/api/v1/scenarios/{scenario_id}/runs")
    assert response.status_code == 503 and "could not be queued" in error_of(response)["message"]
    run = db.session.scalars(sa.select(Run)).one()
    assert run.status == RunStatus.FAILED and "could not be queued" in run.error


def test_time_settings_and_the_run_in_time(pm_api, settings, objective, make_candidate):
    """Issue 13 over the API: the discount rate, the run cost counted past the horizon with
    its budget line and a theme's maximum share are saved and read back; the run's problem
    carries them and its result gives value over time and the run cost after the horizon."""
    make_candidate(4, 100.0, value_profile={"2027": 1, "2028": 1}, run_cost_per_year=20.0,
                   lifetime_years=10)  # fmt: skip
    make_candidate(1, 100.0, serves=False)  # carries no theme: the theme's share stays 0.5
    timed = {
        **settings,
        "discount_rate": 0.1,
        "tail_years": 2,
        "tail_budget": 1000.0,
        "theme_max_shares": {str(objective.id): 0.9},
        "theme_min_shares": {},
        "department_shares": {},
    }
    response = pm_api.post("/api/v1/scenarios", json=timed)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["discount_rate"], body["tail_years"], body["tail_budget"]) == (0.1, 2, 1000.0)
    assert body["theme_max_shares"] == {str(objective.id): 0.9}
    run = pm_api.post(f"/api/v1/scenarios/{body['id']}/runs").get_json()
    run = pm_api.get(f"/api/v1/runs/{run['id']}").get_json()
    problem, result = run["problem"], run["result"]
    assert problem["discount_rate"] == pytest.approx(0.1)
    assert problem["run_cost_past_horizon"] == {"years": 2, "budget": 1000.0}
    assert problem["theme_share"] == {"Customer": {"max": 0.9}}
    assert result["value_by_period"] == {"2027": 50.0, "2028": 50.0, "2029": 0.0}
    assert result["discounted_value_by_period"]["2028"] == pytest.approx(50 / 1.1)
    assert result["run_cost_after_horizon"]["by_year"] == [20.0, 20.0]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"discount_rate": -0.05}, "discount_rate"),
        ({"tail_years": 2.5}, "tail_years"),
        ({"tail_budget": -1}, "tail_budget"),
        ({"theme_max_shares": {"1": 1.5}}, "theme_max_shares"),
    ],
)
def test_bad_time_settings_are_422_by_setting(pm_api, settings, change, field):
    response = pm_api.post("/api/v1/scenarios", json={**settings, **change})
    assert response.status_code == 422, response.get_json()
    assert field in error_of(response)["fields"]
