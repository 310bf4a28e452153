"""A run's selection is stored and shown as soon as the solve ends; the per-idea explanations
come after, in parts, merged as they arrive without lost updates; a part whose job stopped
ends as "not computed" rather than a page that polls for ever, and can be worked again."""

import os
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

import optimizer
from portal import background
from portal.extensions import db
from portal.models import ExplanationPart, Notification, PlanOutcome, Run, RunStatus, utcnow
from portal.portfolio import explanations, runs, service
from portal.portfolio.problem import idea_ref
from tests.portfolio.test_reads_do_not_write import counting_writes
from tests.portfolio.test_runs import _run

pytestmark = pytest.mark.usefixtures("search_small_problems")


@pytest.fixture
def app_config():
    """Inline runs, one candidate per part, no frontier or robustness (not tested here)."""
    return {
        "RUNS_INLINE": True,
        "PORTFOLIO_EXPLAIN_PART": 1,
        "PORTFOLIO_EXPLAIN_SECONDS": 10,
        "PORTFOLIO_FRONTIER_POINTS": 0,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 0,
    }


@pytest.fixture
def four_ideas(make_candidate):
    """Values 100, 75, 50, 25 costing 200, 150, 100, 100 in 2027. With a budget of 250 the
    75 and the 50 are in (125); each of the four needs a re-solve to say what is at stake
    (25 for every one of them)."""
    return {
        "big": make_candidate(4, 200.0),
        "large": make_candidate(3, 150.0),
        "mid": make_candidate(2, 100.0),
        "small": make_candidate(1, 100.0),
    }


def _parts(run_id: int) -> list[ExplanationPart]:
    db.session.rollback()  # see what the jobs committed
    return explanations.parts_of(run_id)


def _hold_parts(monkeypatch):
    """Runs store their parts but leave them waiting (as while no worker has taken them)."""
    monkeypatch.setattr(runs, "work_parts", lambda run_id, **kwargs: None)


def test_parts_merged_give_what_one_solve_explains(pm_client, make_scenario, four_ideas):
    ideas = four_ideas
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    assert {s["id"] for s in run.result["selected"]} == {
        idea_ref(ideas["large"].id),
        idea_ref(ideas["mid"].id),
    }
    parts = _parts(run.id)
    # One part per idea: those left out first, most valuable first, then the selected ones.
    assert [p.ids for p in parts] == [
        [idea_ref(ideas[k].id)] for k in ("big", "small", "mid", "large")
    ]
    assert all(p.status == RunStatus.DONE and p.merged and p.entries is None for p in parts)
    assert run.result["solver"]["explain_parts"] == 4
    settings = run.settings
    whole = optimizer.solve(
        run.problem, settings["backend"], settings["time_limit"], settings["gap"],
        explain_time_limit=10,
    ).to_dict()  # fmt: skip
    assert run.result["explanations"] == whole["explanations"]
    assert all(e["value_lost"] == pytest.approx(25.0) for e in run.result["explanations"])
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["explained"] == {
        "state": "done", "explained": 4, "of": 4, "computed": 4, "needed": 4, "parts": 4,
        "parts_finished": 4, "not_computed": 0, "merged": True,
    }  # fmt: skip
    assert state["finished"]


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RUNS_INLINE": False,
            "REDIS_URL": None,
            "PORTFOLIO_EXPLAIN_PART": 1,
            "PORTFOLIO_FRONTIER_POINTS": 0,
            "PORTFOLIO_ROBUSTNESS_SAMPLES": 0,
        }
    ],
)
def test_the_page_shows_the_selection_while_the_explanations_come_in(
    app, pm_client, make_scenario, four_ideas, monkeypatch, app_config
):
    """In the background thread: the selection and the limits are on the page while the
    first part is at work; the reasons fill in part by part; the poll then ends."""
    ideas = four_ideas
    explain = explanations.explain
    release, at_work = threading.Event(), threading.Event()

    def explain_when_released(ids, *args):
        at_work.set()
        assert release.wait(30), "the test never released the part"
        return explain(ids, *args)

    monkeypatch.setattr(explanations, "explain", explain_when_released)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    try:
        assert at_work.wait(30), "no part was worked"
        state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
        assert state["status"] == "done" and not state["finished"]
        assert state["explained"]["state"] == "pending"
        assert (state["explained"]["explained"], state["explained"]["of"]) == (0, 4)
        html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
        assert ideas["large"].title in html and "Budget 2027: 250 of 250 spent" in html
        assert "data-explaining" in html and "<strong>0</strong> of 4 ideas explained" in html
        assert "The value at stake is being worked out." in html
        assert "data-not-selected-url" in html  # the card is swapped in as parts come
        card = pm_client.get(f"/portfolio/runs/{run.id}/not-selected")
        assert card.status_code == 200
        assert "Working out the value each idea puts at stake" in card.get_data(as_text=True)
    finally:
        release.set()
        runs._threads[run.job_id].join(60)
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["explained"]["state"] == "done" and state["finished"]
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "being worked out" not in html and "data-explaining" not in html
    assert "would need a value of at least 125" in html


def test_a_part_whose_worker_stopped_ends_not_computed_and_can_be_worked_again(
    pm_client, make_scenario, four_ideas, monkeypatch
):
    _hold_parts(monkeypatch)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    monkeypatch.undo()
    silent = utcnow() - timedelta(minutes=2)
    parts = _parts(run.id)
    for part in parts:  # a thread of another process took them, and died at the first
        part.job_id, part.beat_at = "thread:1:elsewhere", silent
    parts[0].status, parts[0].started_at = RunStatus.RUNNING, silent
    db.session.commit()

    with counting_writes() as writes:  # pages only read
        state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
        html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert writes == []
    assert state["explained"]["state"] == "failed" and state["finished"]
    assert state["explained"]["not_computed"] == 4
    assert "Not computed: the worker stopped before it finished." in html
    assert "data-explain-failed" in html and "Work them out again" in html
    assert "run-status.js" not in html  # nothing left to poll for
    shown = service.RunAsShown(run).result["explanations"]  # what the API returns
    assert all("not computed: the worker stopped" in e["text"] for e in shown)

    assert runs.sweep() == 1
    db.session.commit()
    run = db.session.get(Run, run.id)
    db.session.refresh(run)
    assert all(
        e["text"].endswith("not computed: the worker stopped before it finished.")
        for e in run.result["explanations"]
    )
    assert all(p.status == RunStatus.FAILED and p.merged for p in _parts(run.id))
    assert runs.sweep() == 0

    response = pm_client.post(f"/portfolio/runs/{run.id}/explain")
    assert response.status_code == 302
    db.session.rollback()
    run = db.session.get(Run, run.id)
    assert all(e.get("value_lost") == pytest.approx(25.0) for e in run.result["explanations"])
    assert all(p.status == RunStatus.DONE and p.merged for p in _parts(run.id))
    html = pm_client.get(f"/portfolio/runs/{run.id}").get_data(as_text=True)
    assert "not computed" not in html.lower() and "data-explain-failed" not in html


def test_adopted_before_the_explanations_every_outcome_is_right_and_then_restated(
    pm_client, employee, make_scenario, four_ideas, monkeypatch
):
    """Adoption words what is known (in or out, the budget it does not fit), never a
    threshold not yet computed; when the parts come in, the stored sentences gain it and
    nobody is told twice."""
    ideas = four_ideas
    for idea in ideas.values():
        idea.submitter = employee
    db.session.commit()
    _hold_parts(monkeypatch)
    run = _run(pm_client, make_scenario(name="FY27", budget={"2027": 250.0}))
    assert pm_client.post(f"/portfolio/runs/{run.id}/adopt").status_code == 302
    db.session.rollback()
    said = {o.idea_id: o for o in db.session.scalars(sa.select(PlanOutcome))}
    assert len(said) == 4
    assert said[ideas["large"].id].selected and said[ideas["mid"].id].selected
    assert said[ideas["big"].id].reason == (
        "Not in the FY27 plan: it needs 200 of the 2027 budget and none is left."
    )
    told = db.session.scalar(sa.select(sa.func.count(Notification.id)))

    monkeypatch.undo()
    runs.work_parts(run.id)
    db.session.rollback()
    said = {o.idea_id: o.reason for o in db.session.scalars(sa.select(PlanOutcome))}
    assert said[ideas["big"].id] == (
        "Not in the FY27 plan: it needs 200 of the 2027 budget and none is left; "
        "it would enter with a value of 125 or more."
    )
    assert said[ideas["large"].id] == "In the FY27 plan, starting in 2027."
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == told


def test_the_analysis_stored_after_the_merge_keeps_the_explanations(
    pm_client, make_scenario, four_ideas, monkeypatch
):
    """The run's job writes its analysis from the result it holds in memory; parts merged
    meanwhile by other workers are not overwritten."""
    _hold_parts(monkeypatch)
    analyse = runs.analyse
    monkeypatch.setattr(runs, "analyse", lambda *args, **kwargs: None)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    held = dict(run.result)  # what the job held: placeholders, analysis pending
    assert held["analysis"] == {"state": "pending"}
    monkeypatch.undo()
    runs.work_parts(run.id)
    analyse(run.id, problem=run.problem, result=held, settings=run.settings)
    db.session.rollback()
    result = db.session.get(Run, run.id).result
    assert result["analysis"]["state"] == "done"
    assert all(e.get("value_lost") == pytest.approx(25.0) for e in result["explanations"])


def test_parts_finishing_together_lose_nothing(
    app, pm_client, make_scenario, four_ideas, monkeypatch
):
    """Two jobs store their parts at the same moment: both parts end up merged, once."""
    app.config["PORTFOLIO_EXPLAIN_PART"] = 2
    _hold_parts(monkeypatch)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    run_id = run.id
    part_ids = [p.id for p in _parts(run_id)]
    assert len(part_ids) == 2
    start = threading.Barrier(2)

    def work(part_id: int) -> None:
        with app.app_context():
            start.wait()
            runs.explain_part(part_id)
            db.session.remove()

    threads = [threading.Thread(target=work, args=(part_id,)) for part_id in part_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    parts = _parts(run_id)
    assert all(p.status == RunStatus.DONE and p.merged for p in parts)
    result = db.session.get(Run, run_id).result
    assert all(e.get("value_lost") == pytest.approx(25.0) for e in result["explanations"])
    assert result["solver"]["explain_parts"] == 2


def test_an_operator_limit_explains_nothing_above_it(app, pm_client, make_scenario, four_ideas):
    app.config["PORTFOLIO_EXPLAIN_MAX_CANDIDATES"] = 3
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    assert _parts(run.id) == []
    assert run.result["solver"]["explain_skipped"] == 3
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["explained"]["state"] == "none" and state["finished"]


# ------------------------------------------------------------- RQ: parts fan out

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL")
RQ = {
    "RUNS_INLINE": False,
    "REDIS_URL": REDIS_URL,
    "PORTFOLIO_EXPLAIN_PART": 1,
    "PORTFOLIO_FRONTIER_POINTS": 0,
    "PORTFOLIO_ROBUSTNESS_SAMPLES": 0,
}
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="PORTAL_TEST_REDIS_URL is not set")


@pytest.fixture
def run_queue(app):
    queue = background.job_queue(app)
    queue.empty()
    yield queue
    queue.empty()


def _worker(app, name: str):
    from rq import SimpleWorker

    connection = background.redis_connection(app.config["REDIS_URL"])
    return SimpleWorker([background.job_queue(app)], connection=connection, name=name)


@needs_redis
@pytest.mark.parametrize("app_config", [RQ])
def test_each_part_is_a_job_of_its_own_for_any_worker(
    app, pm_client, make_scenario, four_ideas, run_queue, app_config
):
    """The run's job stores the selection and queues one job per part; two workers take
    them in turn; each part's result is merged as it comes and the page says how many."""
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    first, second = _worker(app, "first"), _worker(app, "second")
    first.work(burst=True, max_jobs=1)  # the run itself
    parts = _parts(run.id)
    assert len(parts) == 4 and run_queue.count == 4
    assert len({p.job_id for p in parts}) == 4
    assert all(p.job_id.startswith("rq:explain-") for p in parts)
    assert set(run_queue.job_ids) == {p.job_id[3:] for p in parts}
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["status"] == "done" and state["explained"]["state"] == "pending"

    second.work(burst=True, max_jobs=1)  # the first part: the most valuable idea left out
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert (state["explained"]["explained"], state["explained"]["parts_finished"]) == (1, 1)
    card = pm_client.get(f"/portfolio/runs/{run.id}/not-selected").get_data(as_text=True)
    assert "would need a value of at least 125" in card  # filled in
    assert "<strong>1</strong> of 4 ideas explained" in card
    assert "The value at stake is being worked out." in card  # the smallest idea's, still

    while run_queue.count:
        first.work(burst=True, max_jobs=1)
        second.work(burst=True, max_jobs=1)
    parts = _parts(run.id)
    assert all(p.status == RunStatus.DONE and p.merged for p in parts)
    result = db.session.get(Run, run.id).result
    assert all(e.get("value_lost") == pytest.approx(25.0) for e in result["explanations"])
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["explained"]["state"] == "done" and state["finished"]


@needs_redis
@pytest.mark.parametrize("app_config", [RQ])
def test_a_part_job_that_died_ends_not_computed(
    app, pm_client, make_scenario, four_ideas, run_queue, app_config
):
    from rq.job import Job

    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    worker = _worker(app, "only")
    worker.work(burst=True, max_jobs=1)  # the run
    dead = _parts(run.id)[0]
    Job.fetch(dead.job_id[3:], connection=background.redis_connection(REDIS_URL)).cancel()
    worker.work(burst=True)  # the other parts
    state = pm_client.get(f"/portfolio/runs/{run.id}/status.json").get_json()
    assert state["explained"]["state"] == "failed" and state["finished"]
    assert state["explained"]["not_computed"] == 1
    assert runs.sweep() == 1
    db.session.commit()
    db.session.rollback()
    explained = {e["id"]: e for e in db.session.get(Run, run.id).result["explanations"]}
    (dead_id,) = dead.ids
    assert explained[dead_id]["text"].endswith(
        "not computed: the worker stopped before it finished."
    )
    assert sum(1 for e in explained.values() if e.get("value_lost") is not None) == 3
