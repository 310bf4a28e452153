"""Running scenarios: frozen inputs, results, failures, retries, the background thread."""

import threading
import time
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Run, RunStatus, utcnow
from portal.portfolio import problem as bridge
from portal.portfolio import runs
from portal.portfolio.problem import idea_ref


@pytest.fixture
def three_ideas(make_candidate):
    """Values 100, 50, 25 costing 200, 100, 100 in 2027: with a budget of 250 the best
    portfolio is the big idea alone (100 > 50 + 25)."""
    big = make_candidate(4, 200.0)  # value 100
    mid = make_candidate(2, 100.0)  # value 50
    small = make_candidate(1, 100.0)  # value 25
    return big, mid, small


def _run(client, scenario) -> Run:
    response = client.post(f"/portfolio/scenarios/{scenario.id}/run")
    assert response.status_code == 302, response.data[:500]
    run_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return db.session.get(Run, run_id)


def test_run_freezes_solves_and_shows_results(pm_client, make_scenario, three_ideas):
    big, mid, small = three_ideas
    scenario = make_scenario(budget={"2027": 250.0})
    run = _run(pm_client, scenario)
    assert run.status == RunStatus.DONE and run.result_status == "optimal"
    assert run.problem["schema"] == "converge.problem/1"
    assert {c["id"] for c in run.problem["candidates"]} == {idea_ref(i.id) for i in three_ideas}
    assert [s["id"] for s in run.result["selected"]] == [idea_ref(big.id)]
    assert run.objective_value == pytest.approx(100.0)
    assert run.solve_seconds is not None and run.settings["freeze_seconds"] >= 0
    assert run.result["analysis"]["state"] == "done"

    page = pm_client.get(f"/portfolio/runs/{run.id}")
    assert page.status_code == 200
    html = page.data.decode()
    assert big.title in html and "Spend against budget" in html
    assert "By department" in html and "Efficient frontier" in html and "Robustness" in html
    assert "Budget 2027: 200 of 250 spent" in html  # what limits the portfolio
    # the plain-words reason an idea is not in
    assert "would need a value of at least" in html and "(now 50)" in html
    assert '<script src="http' not in html and "cdn" not in html.lower()

    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["status"] == "done" and state["finished"] and state["elapsed"] >= 0


def test_frozen_run_is_reproducible(
    pm_client, make_scenario, three_ideas, make_estimate, objective
):
    big, mid, small = three_ideas
    scenario = make_scenario(budget={"2027": 250.0})
    first = _run(pm_client, scenario)
    # Estimates change: the small idea becomes the most valuable.
    make_estimate(small, small.submitter, impacts={objective: 4}, costs={"2027": 50.0})
    make_estimate(mid, mid.submitter, impacts={objective: 4}, costs={"2027": 50.0})
    response = pm_client.post(f"/portfolio/runs/{first.id}/retry")
    again = db.session.get(Run, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert again.number == 2 and again.settings["retry_of"] == 1
    assert again.problem == first.problem
    assert again.result["selected"] == first.result["selected"]
    assert again.objective_value == first.objective_value
    fresh = _run(pm_client, scenario)
    assert fresh.problem != first.problem
    assert {s["id"] for s in fresh.result["selected"]} == {idea_ref(mid.id), idea_ref(small.id)}
    # the first run's page still shows what it decided
    assert big.title in pm_client.get(f"/portfolio/runs/{first.id}").data.decode()


def test_infeasible_run_shows_conflicts_with_links(pm_client, make_scenario, three_ideas):
    big, _, _ = three_ideas
    scenario = make_scenario(budget={"2027": 150.0}, force_in=[big.id])
    run = _run(pm_client, scenario)
    assert run.result_status == "infeasible"
    html = pm_client.get(f"/portfolio/runs/{run.id}").data.decode()
    assert "No portfolio meets all the settings" in html
    assert idea_ref(big.id) in html and "budget" in html.lower()
    assert f"/portfolio/scenarios/{scenario.id}/edit#field-budget" in html
    assert f"/portfolio/scenarios/{scenario.id}/edit#field-force" in html
    # nothing to adopt or export
    assert pm_client.get(f"/portfolio/runs/{run.id}/adopt").status_code == 409
    assert pm_client.get(f"/portfolio/runs/{run.id}/selection.csv").status_code == 409


def test_invalid_frozen_problem_is_shown_by_setting(pm_client, make_scenario, three_ideas, pm):
    scenario = make_scenario()
    run = _run(pm_client, scenario)
    run.problem = {**run.problem, "count": {"min": 3, "max": 1}}
    db.session.commit()
    response = pm_client.post(f"/portfolio/runs/{run.id}/retry")
    broken = db.session.get(Run, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert broken.result_status == "invalid"
    html = pm_client.get(f"/portfolio/runs/{broken.id}").data.decode()
    assert "The settings are not valid" in html and "min 3 is above max 1" in html
    assert f"/portfolio/scenarios/{scenario.id}/edit#field-count" in html


def test_settings_naming_missing_ideas_refuse_to_run(pm_client, make_scenario, make_candidate):
    from portal.models import IdeaStatus

    rejected = make_candidate(status=IdeaStatus.REJECTED)
    make_candidate()
    scenario = make_scenario(force_in=[rejected.id])
    response = pm_client.post(f"/portfolio/scenarios/{scenario.id}/run")
    assert response.status_code == 400
    assert b"is forced in but is not a candidate" in response.data
    assert f"/portfolio/scenarios/{scenario.id}/edit#field-force".encode() in response.data
    assert db.session.scalar(db.select(db.func.count(Run.id))) == 0


def test_solver_crash_marks_the_run_failed_and_retry_works(
    pm_client, make_scenario, three_ideas, monkeypatch
):
    scenario = make_scenario()

    def explode(*args, **kwargs):
        raise RuntimeError("solver binary missing")

    monkeypatch.setattr(bridge, "solve", explode)
    run = _run(pm_client, scenario)
    assert run.status == RunStatus.FAILED and "solver binary missing" in run.error
    html = pm_client.get(f"/portfolio/runs/{run.id}").data.decode()
    assert "The run failed." in html and "solver binary missing" in html and ">Retry<" in html
    monkeypatch.undo()
    response = pm_client.post(f"/portfolio/runs/{run.id}/retry")
    retried = db.session.get(Run, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert retried.status == RunStatus.DONE and retried.problem == run.problem


def test_a_run_whose_process_died_is_marked_failed(app, make_scenario, pm):
    scenario = make_scenario()
    lost = Run(scenario=scenario, number=1, problem={}, created_by=pm, settings={})
    lost.job_id = "thread:1:gone"  # another process, long ago
    lost.status = RunStatus.RUNNING
    lost.started_at = utcnow() - timedelta(hours=3)
    here = Run(scenario=scenario, number=2, problem={}, created_by=pm, settings={})
    here.job_id = f"thread:{__import__('os').getpid()}:unknown"  # this process, no thread
    here.created_at = utcnow() - timedelta(minutes=2)  # silent for longer than a minute
    db.session.add_all([lost, here])
    db.session.commit()
    # Issue 12: a silent job is reported as stopped (no longer "stopped or is stuck").
    assert runs.mark_stale(lost) and "worker stopped" in lost.error
    assert "run it again" in lost.error
    assert runs.mark_stale(here) and "restarted" in here.error
    assert lost.status == here.status == RunStatus.FAILED


def test_a_run_that_beats_past_its_deadline_is_stuck(app, make_scenario, pm):
    beating = Run(scenario=make_scenario(), number=1, problem={}, created_by=pm)
    beating.job_id = "thread:1:elsewhere"
    beating.status = RunStatus.RUNNING
    beating.started_at = utcnow() - timedelta(hours=3)
    beating.settings = {runs.HEARTBEAT: utcnow().isoformat()}
    db.session.add(beating)
    db.session.commit()
    assert runs.mark_stale(beating) and "stopped or is stuck" in beating.error


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RUNS_INLINE": False,
            "REDIS_URL": None,
            "PORTFOLIO_FRONTIER_POINTS": 2,
            "PORTFOLIO_ROBUSTNESS_SAMPLES": 1,
        }
    ],
)
def test_background_thread_run(pm_client, make_scenario, three_ideas, app_config):
    scenario = make_scenario()
    started = time.perf_counter()
    run = _run(pm_client, scenario)
    assert run.job_id.startswith("thread:")
    thread = runs._threads[run.job_id]
    assert isinstance(thread, threading.Thread)
    page = pm_client.get(f"/portfolio/runs/{run.id}")  # the request did not wait
    assert page.status_code == 200
    thread.join(timeout=60)
    assert not thread.is_alive(), "the run did not finish within 60 s"
    db.session.rollback()  # see what other connections committed
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["status"] == "done" and state["finished"], state
    assert db.session.get(Run, run.id).result_status == "optimal"
    assert time.perf_counter() - started < 60


def test_brm_reads_runs_but_cannot_run_or_retry(brm_client, pm_client, make_scenario, three_ideas):
    run = _run(pm_client, make_scenario())
    assert brm_client.get(f"/portfolio/runs/{run.id}").status_code == 200
    assert brm_client.get(f"/portfolio/runs/{run.id}/status.json").status_code == 200
    assert brm_client.post(f"/portfolio/runs/{run.id}/retry").status_code == 403
    assert brm_client.get(f"/portfolio/runs/{run.id}/adopt").status_code == 403
    assert brm_client.post(f"/portfolio/runs/{run.id}/adopt").status_code == 403


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RUNS_INLINE": False,
            "REDIS_URL": None,
            "PORTFOLIO_FRONTIER_POINTS": 2,
            "PORTFOLIO_ROBUSTNESS_SAMPLES": 1,
        }
    ],
)
def test_writes_during_a_background_run_do_not_fail_it(
    pm_client, employee_client, make_scenario, three_ideas, app_config, monkeypatch
):
    """People keep working while a run solves; neither side gets 'database is locked'."""
    solving = threading.Event()
    release = threading.Event()
    real_solve = bridge.solve

    def slow_solve(*args, **kwargs):
        solving.set()
        release.wait(20)
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(bridge, "solve", slow_solve)
    run = _run(pm_client, make_scenario())
    assert solving.wait(20)
    idea = three_ideas[0]
    for _ in range(3):  # writes while the solver works
        assert employee_client.post(f"/ideas/{idea.id}/follow").status_code == 302
    release.set()
    thread = runs._threads[run.job_id]
    thread.join(timeout=60)
    db.session.rollback()
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["status"] == "done", state
