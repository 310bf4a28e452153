"""Runs under faults: simultaneous starts, charts drawn outside the write transaction, and
jobs whose worker or process died."""

import os
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Run, RunStatus, utcnow
from portal.portfolio import problem as bridge
from portal.portfolio import run_charts, runs, service
from tests.portfolio.test_reads_do_not_write import counting_writes
from tests.portfolio.test_runs import _run


def _queue_only(monkeypatch, pause: float = 0.0):
    """Hand runs over without solving them; `pause` widens the window between allocating a
    run's number and committing it."""

    def enqueue(run: Run) -> None:
        time.sleep(pause)
        run.job_id = "inline"
        db.session.commit()

    monkeypatch.setattr(runs, "enqueue", enqueue)


def test_simultaneous_starts_get_distinct_numbers(
    client_for, pm, make_user, make_scenario, make_candidate, monkeypatch
):
    """Portfolio managers pressing Run on one scenario at the same moment: N runs numbered
    1..N, no error."""
    make_candidate()
    scenario = make_scenario()
    _queue_only(monkeypatch, pause=0.05)
    managers = [pm] + [make_user(pm.role) for _ in range(5)]
    clients = [client_for(user) for user in managers]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []
    scenario_id = scenario.id
    url = f"/portfolio/scenarios/{scenario_id}/run"

    def press_run(client):
        start.wait()
        statuses.append(client.post(url).status_code)

    threads = [threading.Thread(target=press_run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302] * len(clients)
    db.session.rollback()  # see what the other connections committed
    numbers = db.session.scalars(
        sa.select(Run.number).where(Run.scenario_id == scenario_id).order_by(Run.number)
    ).all()
    assert numbers == list(range(1, len(clients) + 1))


# ------------------------------------------------------ charts outside the transaction


def _try_a_write(run_id: int) -> str:
    """Write the run's row from a connection of its own that waits at most 0.2 s for a
    lock: 'ok' or the error."""
    engine = sa.create_engine(db.engine.url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout=200")
            else:
                connection.exec_driver_sql("SET lock_timeout = '200ms'")
            connection.execute(sa.update(Run).where(Run.id == run_id).values(error=None))
        return "ok"
    except sa.exc.OperationalError as exc:
        return str(exc.orig)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RUNS_INLINE": False,
            "REDIS_URL": None,
            "PORTFOLIO_FRONTIER_POINTS": 2,
            "PORTFOLIO_ROBUSTNESS_SAMPLES": 2,
        }
    ],
)
def test_charts_are_drawn_with_no_transaction_open(
    pm_client, make_scenario, make_candidate, monkeypatch, app_config
):
    """While the job draws (a second or more), others can write: the job holds no write
    lock, and stores the charts in a short transaction afterwards, which a write made
    meanwhile does not make fail."""
    make_candidate(4, 200.0)
    make_candidate(2, 100.0)
    draw = run_charts.draw_charts
    seen: list[tuple] = []

    def draw_while_someone_writes(run, *, problem, result):
        state = (result.get("analysis") or {}).get("state")
        before = (db.session().in_transaction(), _try_a_write(run.id))
        charts = draw(run, problem=problem, result=result)  # reads idea titles
        seen.append((state, before, _try_a_write(run.id)))
        return charts

    monkeypatch.setattr(run_charts, "draw_charts", draw_while_someone_writes)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    runs._threads[run.job_id].join(60)
    assert seen == [("pending", (False, "ok"), "ok"), ("done", (False, "ok"), "ok")]
    db.session.rollback()  # see what the job committed
    run = db.session.get(Run, run.id)
    assert run.result["analysis"]["state"] == "done", run.result["analysis"]
    assert run.charts["analysis"] == "done" and "robustness" in run.charts["svg"]


# -------------------------------------------------------------- stopped workers


def _stopped_run(scenario, pm, *, status=RunStatus.RUNNING, silent=timedelta(minutes=2)):
    """A run whose job, in another process, last beat `silent` ago."""
    run = Run(scenario=scenario, number=1, problem={}, created_by=pm, status=status)
    run.job_id = "thread:1:elsewhere"
    run.started_at = utcnow() - silent - timedelta(seconds=5)
    run.settings = {runs.HEARTBEAT: (utcnow() - silent).isoformat()}
    db.session.add(run)
    db.session.commit()
    return run


def test_a_job_that_beats_is_alive_and_one_silent_for_a_minute_is_not(app, make_scenario, pm):
    scenario = make_scenario()
    alive = _stopped_run(scenario, pm, silent=timedelta(seconds=20))
    assert runs.stale_reason(alive) is None
    alive.started_at = utcnow() - timedelta(seconds=80)
    alive.settings = {runs.HEARTBEAT: (utcnow() - timedelta(seconds=70)).isoformat()}
    db.session.commit()
    assert runs.stale_reason(alive) == runs.WORKER_STOPPED


@pytest.mark.parametrize("app_config", [{"RUNS_INLINE": True, "RUN_HEARTBEAT_SECONDS": 0.05}])
def test_the_job_beats_while_the_solver_works(
    pm_client, make_scenario, make_candidate, monkeypatch, app_config
):
    make_candidate()
    solve = bridge.solve
    beats: list[str] = []

    def slow_solve(problem, **kwargs):
        time.sleep(0.5)  # the heartbeat thread writes meanwhile
        engine = sa.create_engine(db.engine.url)
        with engine.connect() as connection:
            settings = connection.execute(sa.select(Run.settings).order_by(Run.id.desc())).scalar()
        engine.dispose()
        beats.append(settings[runs.HEARTBEAT])
        return solve(problem, **kwargs)

    monkeypatch.setattr(bridge, "solve", slow_solve)
    run = _run(pm_client, make_scenario())
    assert run.status == RunStatus.DONE
    started = run.started_at.isoformat()
    assert beats and beats[0] > started  # beaten after the start, during the solve
    _queue_only(monkeypatch)
    retried = service.retry_run(run, run.created_by)
    assert runs.HEARTBEAT not in retried.settings  # a new job beats for itself
    assert retried.settings["retry_of"] == run.number


def test_a_dead_analysis_shows_finished_without_it_and_the_sweep_records_it(
    pm_client, make_scenario, make_candidate, pm
):
    """A run killed during its analysis: the page stops polling and says so (reads only);
    the sweep writes it."""
    make_candidate(4, 200.0)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    run.result = {**run.result, "analysis": {"state": "pending"}}
    run.job_id = "thread:1:elsewhere"
    run.started_at = utcnow() - timedelta(minutes=3)
    run.finished_at = utcnow() - timedelta(minutes=2)
    run.settings = {**run.settings, runs.HEARTBEAT: run.finished_at.isoformat()}
    db.session.commit()
    with counting_writes() as writes:
        state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
        html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert writes == []
    assert state["status"] == "done" and state["analysis"] == "failed" and state["finished"]
    assert state["analysis_error"] == runs.ANALYSIS_STOPPED
    assert 'data-analysis="failed"' in html and "the worker stopped" in html
    assert "Spend against budget" in html  # the charts of the solve are shown
    assert runs.sweep() == 1
    db.session.commit()
    db.session.rollback()
    run = db.session.get(Run, run.id)
    assert run.result["analysis"] == {"state": "failed", "error": runs.ANALYSIS_STOPPED}
    assert run.status == RunStatus.DONE and run.result["selected"]
    assert runs.sweep() == 0


def test_the_sweep_command_fails_stopped_runs_and_leaves_live_ones(app, runner, make_scenario, pm):
    scenario = make_scenario()
    stopped = _stopped_run(scenario, pm)
    alive = _stopped_run(make_scenario(name="Other"), pm, silent=timedelta(seconds=5))
    queued = _stopped_run(make_scenario(name="Third"), pm, status=RunStatus.QUEUED)
    result = runner.invoke(args=["sweep-runs"])
    assert result.exit_code == 0 and "2 stopped run(s)" in result.output, result.output
    db.session.rollback()
    assert db.session.get(Run, stopped.id).status == RunStatus.FAILED
    assert db.session.get(Run, stopped.id).error == runs.WORKER_STOPPED
    assert db.session.get(Run, queued.id).status == RunStatus.FAILED
    assert db.session.get(Run, alive.id).status == RunStatus.RUNNING


def test_a_live_thread_of_this_process_is_never_swept(app, make_scenario, pm):
    run = _stopped_run(make_scenario(), pm, silent=timedelta(hours=1))
    run.started_at = utcnow()  # not overdue, only silent
    run.job_id = f"thread:{os.getpid()}:busy"
    db.session.commit()
    release = threading.Event()
    thread = threading.Thread(target=release.wait, args=(10,))
    thread.start()
    runs._threads[run.job_id] = thread
    try:
        assert runs.sweep() == 0
    finally:
        release.set()
        thread.join()
    assert runs.stale_reason(run) is not None  # its thread ended without finishing it
    runs._threads.pop(run.job_id)


def test_starting_a_run_records_stopped_runs_first(
    pm_client, make_scenario, make_candidate, pm, monkeypatch
):
    make_candidate()
    scenario = make_scenario()
    stopped = _stopped_run(make_scenario(name="Old"), pm)
    _queue_only(monkeypatch)
    assert pm_client.post(f"/portfolio/scenarios/{scenario.id}/run").status_code == 302
    db.session.rollback()
    assert db.session.get(Run, stopped.id).status == RunStatus.FAILED


@pytest.mark.parametrize("app_config", [{"RUNS_SWEEP_AT_START": True}])
def test_the_web_process_sweeps_once_after_its_first_request(app, make_scenario, pm, app_config):
    stopped = _stopped_run(make_scenario(), pm)
    client = app.test_client()
    assert client.get("/auth/login").status_code == 200  # the sweep runs in a thread of its own
    for thread in threading.enumerate():
        if thread.name == "sweep-runs":
            thread.join(30)
    db.session.rollback()
    assert db.session.get(Run, stopped.id).status == RunStatus.FAILED
    assert not [t for t in threading.enumerate() if t.name == "sweep-runs"]
    client.get("/auth/login")
    assert not [t for t in threading.enumerate() if t.name == "sweep-runs"]  # once only
