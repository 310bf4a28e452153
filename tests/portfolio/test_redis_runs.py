"""Runs through Redis and an RQ worker (only when PORTAL_TEST_REDIS_URL is set, as in CI)."""

import os

import pytest

from portal import background
from portal.extensions import db
from portal.models import Run, RunStatus
from tests.portfolio.test_runs import _run

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="PORTAL_TEST_REDIS_URL is not set")


@pytest.fixture
def app_config():
    return {
        "RUNS_INLINE": False,
        "REDIS_URL": REDIS_URL,
        "PORTFOLIO_FRONTIER_POINTS": 2,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 2,
    }


@pytest.fixture
def run_queue(app):
    queue = background.job_queue(app)
    queue.empty()
    yield queue
    queue.empty()


def _work(app, queue):
    from rq import SimpleWorker

    worker = SimpleWorker([queue], connection=background.redis_connection(app.config["REDIS_URL"]))
    worker.work(burst=True)


def test_run_goes_through_an_rq_worker(app, pm_client, make_scenario, make_candidate, run_queue):
    best = make_candidate(4, 200.0)
    make_candidate(2, 100.0)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    assert run.status == RunStatus.QUEUED and run.job_id.startswith("rq:")
    assert run_queue.count == 1
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["status"] == "queued" and not state["finished"]
    assert b"Waiting for a worker" in pm_client.get(f"/portfolio/runs/{run.id}").data
    _work(app, run_queue)
    db.session.rollback()  # see what other connections committed
    run = db.session.get(Run, run.id)
    assert run.status == RunStatus.DONE and run.result_status == "optimal"
    assert [s["id"] for s in run.result["selected"]] == [best.reference]
    assert run.result["analysis"]["state"] == "done"
    assert pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()["finished"]


def test_a_cancelled_job_marks_the_run_failed(
    app, pm_client, make_scenario, make_candidate, run_queue
):
    from rq.job import Job

    make_candidate()
    run = _run(pm_client, make_scenario())
    job = Job.fetch(run.job_id[3:], connection=background.redis_connection(REDIS_URL))
    job.cancel()
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["status"] == "failed" and "canceled" in state["error"]
    response = pm_client.post(f"/portfolio/runs/{run.id}/retry")
    retry = db.session.get(Run, int(response.headers["Location"].rsplit("/", 1)[1]))
    _work(app, run_queue)
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Run, retry.id).status == RunStatus.DONE


def test_run_worker_command_in_burst_mode(
    app, runner, pm_client, make_scenario, make_candidate, run_queue
):
    make_candidate()
    run = _run(pm_client, make_scenario())
    result = runner.invoke(args=["run-worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Run, run.id).status == RunStatus.DONE


def test_run_worker_needs_redis(runner, app):
    app.config["REDIS_URL"] = None
    result = runner.invoke(args=["run-worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_the_worker_records_stopped_runs_when_it_starts(
    app, runner, pm_client, make_scenario, make_candidate, run_queue
):
    """A run whose worker died mid-solve (no heartbeat for minutes) and one whose job left
    Redis are failed when a worker starts; the dead run's leftover job does nothing."""
    from datetime import timedelta

    from portal.models import utcnow
    from portal.portfolio import runs

    make_candidate()
    died = _run(pm_client, make_scenario())
    died.status = RunStatus.RUNNING
    died.started_at = utcnow() - timedelta(minutes=3)
    died.settings = {**died.settings, runs.HEARTBEAT: (utcnow() - timedelta(minutes=2)).isoformat()}
    vanished = _run(pm_client, make_scenario(name="Vanished"))
    db.session.commit()
    run_queue.remove(vanished.job_id[3:])
    from rq.job import Job

    Job.fetch(vanished.job_id[3:], connection=background.redis_connection(REDIS_URL)).delete()
    result = runner.invoke(args=["run-worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.rollback()  # see what other connections committed
    died = db.session.get(Run, died.id)
    assert died.status == RunStatus.FAILED and died.error == runs.WORKER_STOPPED
    assert died.result is None  # its leftover job found it no longer queued
    vanished = db.session.get(Run, vanished.id)
    assert vanished.status == RunStatus.FAILED and "no longer in Redis" in vanished.error
