"""GET never writes: every portfolio page and download only reads, even for a run whose job
died (shown failed, recorded by the next retry) or a run without kept charts (drawn for the
view)."""

import contextlib
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Run, RunStatus, utcnow
from portal.portfolio import service
from tests.portfolio.test_runs import _run

WRITES = ("INSERT", "UPDATE", "DELETE")


@contextlib.contextmanager
def counting_writes():
    """The INSERT, UPDATE and DELETE statements sent to the database inside the block."""
    writes: list[str] = []

    def capture(conn, cursor, statement, *args):
        if statement.lstrip().split(None, 1)[0].upper() in WRITES:
            writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield writes
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)


@pytest.fixture
def two_runs(pm_client, make_scenario, make_candidate):
    make_candidate(4, 200.0)
    make_candidate(2, 100.0)
    make_candidate(1, 100.0)
    scenario = make_scenario(budget={"2027": 250.0})
    first, second = _run(pm_client, scenario), _run(pm_client, scenario)
    first.adopted_at = first.finished_at  # the current plan
    db.session.commit()
    return first, second


def _pages(first: Run, second: Run) -> list[str]:
    run = f"/portfolio/runs/{first.id}"
    return [
        "/portfolio/",
        "/portfolio/scenarios/new",
        f"/portfolio/scenarios/{first.scenario_id}",
        f"/portfolio/scenarios/{first.scenario_id}/edit",
        run,
        f"{run}/status.json",
        f"{run}/not-selected",
        f"{run}/adopt",
        f"{run}/charts/spend.png",
        f"{run}/selection.csv",
        f"{run}/selection.xlsx",
        f"{run}/problem.json",
        f"{run}/problem.mps",
        f"/portfolio/compare?run={first.id}&run={second.id}",
        "/portfolio/plan",
    ]


def test_portfolio_pages_only_read(pm_client, two_runs):
    first, second = two_runs
    for page in _pages(first, second):
        with counting_writes() as writes:
            response = pm_client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        assert writes == [], (page, writes)


def test_a_run_without_kept_charts_is_drawn_for_the_view_only(pm_client, two_runs):
    first, _ = two_runs
    first.charts = None
    db.session.commit()
    for page in (f"/portfolio/runs/{first.id}", "/portfolio/plan"):
        with counting_writes() as writes:
            html = pm_client.get(page).get_data(as_text=True)
        assert "Spend against budget" in html and writes == [], page


def test_a_run_whose_job_died_shows_failed_and_the_retry_records_it(
    pm_client, make_scenario, make_candidate, pm
):
    make_candidate(4, 200.0)
    lost = Run(scenario=make_scenario(), number=1, problem={}, created_by=pm, settings={})
    lost.job_id = f"thread:{os.getpid()}:gone"  # this process, and no such thread
    lost.status = RunStatus.RUNNING
    lost.started_at = utcnow() - timedelta(minutes=1)
    db.session.add(lost)
    db.session.commit()
    with counting_writes() as writes:
        state = pm_client.get(f"/portfolio/runs/{lost.id}/status.json").get_json()
        html = pm_client.get(f"/portfolio/runs/{lost.id}").get_data(as_text=True)
    assert writes == []
    assert state["status"] == "failed" and state["finished"] and "restarted" in state["error"]
    assert "The run failed." in html and "restarted" in html and ">Retry<" in html
    assert 'data-run-status="failed"' in html
    shown = service.RunAsShown(lost)  # what the API returns
    assert shown.status == RunStatus.FAILED and "restarted" in shown.error
    assert shown.number == 1
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Run, lost.id).status == RunStatus.RUNNING  # nothing written yet
    with counting_writes() as writes:
        response = pm_client.post(f"/portfolio/runs/{lost.id}/retry")
    assert response.status_code == 302 and any(w.startswith("UPDATE runs") for w in writes)
    db.session.rollback()
    lost = db.session.get(Run, lost.id)
    assert lost.status == RunStatus.FAILED and "restarted" in lost.error
